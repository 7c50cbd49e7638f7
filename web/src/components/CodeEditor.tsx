// A JavaScript editor (CodeMirror 6) whose diagnostics from the API show at
// their line and column as lint marks. Loaded only by the screens that
// show one (see LazyCodeEditor).
import { javascript } from "@codemirror/lang-javascript";
import { lintGutter, setDiagnostics, type Diagnostic as LintDiagnostic } from "@codemirror/lint";
import { EditorState, type Text } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { useEffect, useRef } from "react";

/** A finding about a source: line and column count from 1. */
export interface SourceDiagnostic {
  severity: string;
  line: number;
  column: number;
  message: string;
}

/** The document range a diagnostic marks: from its column to the end of the word (or line). */
export function rangeOf(doc: Text, d: SourceDiagnostic): { from: number; to: number } {
  const lineNo = Math.min(Math.max(d.line, 1), doc.lines);
  const line = doc.line(lineNo);
  const from = Math.min(line.from + Math.max(d.column - 1, 0), line.to);
  const rest = doc.sliceString(from, line.to);
  const word = /^("[^"]*"|'[^']*'|[\w$]+)/.exec(rest);
  const to = word ? from + word[0].length : line.to > from ? line.to : from;
  return { from, to };
}

export function toLint(doc: Text, ds: readonly SourceDiagnostic[]): LintDiagnostic[] {
  return ds.map((d) => ({
    ...rangeOf(doc, d),
    severity: d.severity === "error" ? "error" : "warning",
    message: d.message,
  }));
}

export default function CodeEditor({
  value,
  onChange,
  diagnostics,
  readOnly,
  onSave,
  height = 480,
  goTo,
}: {
  value: string;
  onChange?: (v: string) => void;
  diagnostics: readonly SourceDiagnostic[];
  readOnly?: boolean;
  /** Ctrl/Cmd-S. */
  onSave?: () => void;
  height?: number;
  /** A line to scroll to and put the cursor on (changes each request). */
  goTo?: { line: number; at: number };
}) {
  const el = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  const save = useRef(onSave);
  changed.current = onChange;
  save.current = onSave;

  useEffect(() => {
    if (!el.current) return;
    const v = new EditorView({
      parent: el.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          javascript(),
          lintGutter(),
          EditorState.readOnly.of(Boolean(readOnly)),
          keymap.of([
            {
              key: "Mod-s",
              preventDefault: true,
              run: () => {
                save.current?.();
                return true;
              },
            },
          ]),
          EditorView.lineWrapping,
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changed.current?.(u.state.doc.toString());
          }),
          EditorView.theme({ "&": { height: `${height}px`, fontSize: "13px" }, ".cm-scroller": { fontFamily: "ui-monospace, Menlo, Consolas, monospace" } }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is made once; value changes from outside are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [readOnly, height]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, toLint(v.state.doc, diagnostics)));
  }, [diagnostics, value]);

  useEffect(() => {
    const v = view.current;
    if (!v || !goTo) return;
    const line = v.state.doc.line(Math.min(Math.max(goTo.line, 1), v.state.doc.lines));
    v.dispatch({ selection: { anchor: line.from }, effects: EditorView.scrollIntoView(line.from, { y: "center" }) });
    v.focus();
  }, [goTo]);

  return <div ref={el} data-testid="code-editor" style={{ border: "1px solid #d9d9d9", borderRadius: 6, overflow: "hidden" }} />;
}
