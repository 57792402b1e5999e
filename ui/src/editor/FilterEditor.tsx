/**
 * The filter language in CodeMirror 6: highlighting from a small stream tokenizer, completion from
 * /api/v1/filter/complete (keywords, operators, values seen recently) and inline errors from
 * /api/v1/filter/validate at the position the parser names.
 */
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, linter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { useEffect, useRef } from 'react';
import { api } from '../api/client';

const WORDS = new Set(
  'host ip net port src dst as vlan if in out proto exporter sampled sampling flags tos dscp bytes packets bps pps duration exists not and or client server group name tcp udp icmp icmp6'.split(
    ' ',
  ),
);
const LOGIC = new Set(['and', 'or', 'not']);

const filterLanguage = StreamLanguage.define<null>({
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match(/^"([^"\\]|\\.)*"?/)) return 'string';
    if (stream.match(/^(==|!=|>=|<=|[<>=!&|()[\],])/)) return 'operator';
    if (stream.match(/^[0-9a-fA-F:.]+(\/\d+)?(?![\w.])/)) return 'number';
    if (stream.match(/^[\w.-]+/)) {
      const w = stream.current().toLowerCase();
      if (LOGIC.has(w)) return 'keyword';
      return WORDS.has(w) || w.startsWith('ext.') ? 'typeName' : 'variableName';
    }
    stream.next();
    return null;
  },
});

const highlight = HighlightStyle.define([
  { tag: tags.keyword, class: 'tok-op' },
  { tag: tags.typeName, class: 'tok-field' },
  { tag: tags.number, class: 'tok-num' },
  { tag: tags.string, class: 'tok-str' },
  { tag: tags.operator, class: 'tok-op' },
]);

export type FilterKind = 'flow' | 'dependency';

async function completeFrom(ctx: CompletionContext, kind: FilterKind): Promise<CompletionResult | null> {
  const text = ctx.state.doc.toString();
  const r = await api.GET('/api/v1/filter/complete', {
    params: { query: { text, cursor: ctx.pos, kind } },
  });
  if (!r.data || r.data.items.length === 0) return null;
  return {
    from: r.data.replace.from,
    to: r.data.replace.to,
    options: r.data.items.map((i) => ({
      label: i.text,
      detail: i.detail,
      type: i.kind === 'keyword' ? 'keyword' : i.kind === 'value' ? 'constant' : 'operator',
    })),
    filter: false,
  };
}

async function lintFrom(view: EditorView, kind: FilterKind): Promise<Diagnostic[]> {
  const text = view.state.doc.toString();
  if (text.trim() === '') return [];
  const r = await api.GET('/api/v1/filter/validate', { params: { query: { filter: text, kind } } });
  if (r.response.ok) return [];
  const p = (r.error ?? {}) as { detail?: string; title?: string; position?: number; length?: number };
  const len = view.state.doc.length;
  const from = Math.min(p.position ?? 0, len);
  const to = Math.min(len, from + Math.max(1, p.length ?? 1));
  return [
    {
      from: from === len && len > 0 ? len - 1 : from,
      to: Math.max(to, from),
      severity: 'error',
      message: p.detail ?? p.title ?? 'invalid filter',
    },
  ];
}

export interface FilterEditorProps {
  value: string;
  kind?: FilterKind;
  /** Called on Enter and when the editor loses focus with changed text. */
  onSubmit: (text: string) => void;
}

export function FilterEditor({ value, kind = 'flow', onSubmit }: FilterEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const submit = useRef(onSubmit);
  submit.current = onSubmit;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once; value syncs below
  useEffect(() => {
    const run = () => {
      submit.current(view.current?.state.doc.toString() ?? '');
      return true;
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          keymap.of([{ key: 'Enter', run }, ...defaultKeymap, ...historyKeymap]),
          filterLanguage,
          syntaxHighlighting(highlight),
          autocompletion({ override: [(ctx) => completeFrom(ctx, kind)], activateOnTyping: true }),
          linter((v) => lintFrom(v, kind), { delay: 300 }),
          placeholder('filter, e.g. dst port 443 and not src net 10.0.0.0/8'),
          EditorView.domEventHandlers({ blur: () => run() }),
          EditorState.transactionFilter.of((tr) => (tr.newDoc.lines > 1 ? [] : tr)),
        ],
      }),
    });
    view.current = v;
    return () => v.destroy();
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value)
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div className="editor" data-testid="filter-editor" ref={host} />;
}
