import { Text } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { rangeOf, toLint } from "./CodeEditor";
import { graphNodes, graphOption, layers } from "./dialogGraph";

const graph = {
  start: "greeting",
  lang: "zh-CN",
  intents: [],
  fallback: { retries: 2, end: "no_understanding" },
  states: [
    { name: "greeting", line: 3 },
    { name: "price", line: 8 },
    { name: "confirm", line: 10, end: "confirmed" },
    { name: "orphan", line: 12 },
  ],
  edges: [
    { from: "greeting", to: "confirm", intent: "affirm" },
    { from: "greeting", to: "price", intent: "price" },
    { from: "price", to: "confirm", intent: "affirm", dynamic: true },
  ],
};

describe("the dialog graph", () => {
  it("puts states in layers by their distance from the start, unreachable ones last", () => {
    expect(Object.fromEntries(layers(graph))).toEqual({ greeting: 0, price: 1, confirm: 1, orphan: 2 });
  });

  it("gives states of one layer different places and marks start and end states", () => {
    const nodes = graphNodes(graph);
    const at = Object.fromEntries(nodes.map((n) => [n.name, n]));
    expect(at.price.x).toBe(at.confirm.x);
    expect(at.price.y).not.toBe(at.confirm.y);
    expect(at.greeting.x).toBeLessThan(at.price.x);
    expect(at.greeting.kind).toBe("start");
    expect(at.confirm.kind).toBe("end");
  });

  it("labels each edge with its intent, dynamic ones marked", () => {
    const links = graphOption(graph).series[0].links;
    expect(links.map((l) => l.label)).toEqual(["affirm", "price", "affirm*"]);
  });
});

describe("diagnostics in the editor", () => {
  const doc = Text.of(["export default {", "  start: gretting,", "};"]);

  it("marks the word at the diagnostic's line and column", () => {
    const r = rangeOf(doc, { severity: "error", line: 2, column: 10, message: "gretting is not defined" });
    expect(doc.sliceString(r.from, r.to)).toBe("gretting");
  });

  it("marks a whole string literal", () => {
    const d = Text.of(['  on: { affirm: "confrim", deny: "goodbye" },']);
    const r = rangeOf(d, { severity: "error", line: 1, column: 17, message: "unknown state" });
    expect(d.sliceString(r.from, r.to)).toBe('"confrim"');
  });

  it("keeps diagnostics past the end of the document inside it", () => {
    const [d] = toLint(doc, [{ severity: "warning", line: 40, column: 99, message: "x" }]);
    expect(d.from).toBeLessThanOrEqual(doc.length);
    expect(d.severity).toBe("warning");
  });
});
