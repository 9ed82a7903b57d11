// The PromQL expression editor: CodeMirror 6 with Prometheus's own PromQL language package, completing
// metric names, labels and values against this server's API.
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
  completionStatus,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { apiBase } from './api.js';

export interface ExpressionEditor {
  value(): string;
  setValue(text: string): void;
  focus(): void;
  destroy(): void;
}

export function createEditor(parent: HTMLElement, initial: string, onExecute: () => void): ExpressionEditor {
  const promql = new PromQLExtension().setComplete({ remote: { url: apiBase(), httpMethod: 'GET' } });
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: initial,
      extensions: [
        highlightSpecialChars(),
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder('Expression (press Shift+Enter for newlines)'),
        EditorView.lineWrapping,
        promql.asExtension(),
        // Enter runs the query, as in Prometheus's UI, unless a completion list is open to accept from.
        Prec.high(
          keymap.of([
            {
              key: 'Enter',
              run: (v) => {
                if (completionStatus(v.state) === 'active') return false;
                onExecute();
                return true;
              },
            },
            { key: 'Shift-Enter', run: insertNewlineAndIndent },
          ]),
        ),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
      ],
    }),
  });
  return {
    value: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
