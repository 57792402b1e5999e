/**
 * Checks responses against the API's own OpenAPI document: the document is first validated as OpenAPI 3.1
 * (@seriousme/openapi-schema-validator), then each response body against the schema the document gives
 * for its path, method, status and content type (ajv, JSON Schema 2020-12, as OpenAPI 3.1 uses).
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface InjectedResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
};

export class OpenApiCheck {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  private constructor(readonly doc: Doc) {
    (addFormats as unknown as (a: Ajv2020) => void)(this.ajv);
    // The whole document under one id, so `#/components/schemas/...` refs resolve inside it.
    this.ajv.addSchema(doc as object, 'openapi');
  }

  /** Validates the document as OpenAPI 3.1; throws with the validator's errors otherwise. */
  static async of(doc: unknown): Promise<OpenApiCheck> {
    const v = new Validator();
    const r = await v.validate(doc as Parameters<Validator['validate']>[0]);
    if (!r.valid) throw new Error(`invalid OpenAPI document: ${JSON.stringify(r.errors, null, 1)}`);
    if ((doc as { openapi?: string }).openapi?.startsWith('3.1') !== true)
      throw new Error('not an OpenAPI 3.1 document');
    return new OpenApiCheck(doc as Doc);
  }

  /**
   * The errors of `res` against the document's response for (method, route template); [] when it conforms.
   * A route outside the document is checked against the Problem component (the 404 of unknown routes).
   */
  check(method: string, route: string | null, res: InjectedResponse): string[] {
    const type = String(res.headers['content-type'] ?? '').split(';')[0];
    let pointer: string;
    if (route === null) {
      if (type !== 'application/problem+json') return [`expected a problem document, got ${type}`];
      pointer = '#/components/schemas/Problem';
    } else {
      const op = this.doc.paths[route]?.[method.toLowerCase()];
      if (!op) return [`${method} ${route} is not in the document`];
      const resp = op.responses[String(res.statusCode)];
      if (!resp) return [`${method} ${route}: status ${res.statusCode} is not documented`];
      if (!resp.content?.[type]) return [`${method} ${route} ${res.statusCode}: ${type} is not documented`];
      const esc = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
      pointer = `#/paths/${esc(route)}/${method.toLowerCase()}/responses/${res.statusCode}/content/${esc(type)}/schema`;
    }
    const validate = this.ajv.compile({ $ref: `openapi${pointer}` });
    if (validate(JSON.parse(res.body))) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  }
}
