// Placeholder entry point; the CLI work replaces it.
console.log('flowlens: CLI under construction');
