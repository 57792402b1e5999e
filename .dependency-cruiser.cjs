/**
 * Import rules between folders: the folder layout is the architecture (see DESIGN.md, "Conventions").
 * core ← wire ← decode ← normalize ← ingest ← app ← cli; storage backends are picked only by app;
 * gen (synthetic exporter) builds on wire, demo on gen; auth (tokens, JWTs, roles, tenants) on the storage port
 * and query (tenant scopes), and the API on auth; cli and app may import anything (they compose).
 */
const TEST_CODE = ['\\.test\\.ts$', '/testing/'];

const layer = (name, allowed) => ({
  name: `${name}-imports`,
  comment: `src/${name} may import only: ${allowed.join(', ') || 'nothing else in src'}`,
  severity: 'error',
  // Tests and test helpers may reach across layers (a decoder test reads pcaps and builds bytes).
  from: { path: `^src/${name}/`, pathNot: TEST_CODE },
  to: {
    path: '^src/',
    pathNot: [`^src/${name}/`, ...allowed.map((a) => `^src/${a}(/|\\.ts$)`)],
  },
});

module.exports = {
  forbidden: [
    layer('core', []),
    layer('wire', ['core']),
    layer('decode', ['core', 'wire']),
    layer('normalize', ['core', 'decode']),
    layer('query', ['core']),
    layer('storage', ['core', 'query']),
    layer('jobs', ['core', 'storage/port', 'query']),
    layer('deps', ['core', 'storage/port', 'query']),
    layer('ingest', ['core', 'wire', 'decode', 'normalize', 'storage/port', 'query', 'jobs', 'deps']),
    layer('auth', ['core', 'storage/port', 'query']),
    layer('api', ['core', 'storage/port', 'query', 'deps', 'auth']),
    layer('config', ['core']),
    layer('gen', ['core', 'wire']),
    layer('demo', ['core', 'gen']),
    {
      name: 'decoders-are-independent',
      comment: 'a protocol decoder never imports another protocol decoder (shared template code lives in decode/template)',
      severity: 'error',
      from: { path: '^src/decode/(netflow5|netflow9|ipfix|sflow)/' },
      to: { path: '^src/decode/(netflow5|netflow9|ipfix|sflow)/', pathNot: '^src/decode/$1/' },
    },
    {
      name: 'backends-are-independent',
      comment: 'storage backends never import each other',
      severity: 'error',
      from: { path: '^src/storage/(chdb|postgres|clickhouse)/' },
      to: { path: '^src/storage/(chdb|postgres|clickhouse)/', pathNot: '^src/storage/$1/' },
    },
    {
      name: 'only-app-picks-backends',
      comment: 'only the composition root (src/app) and the backend itself import a concrete store',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/app/', '^src/storage/', '^src/bench/'] },
      to: { path: '^src/storage/(chdb|postgres|clickhouse)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: 'testdata' },
  },
};
