// The dialog of a script as an ECharts graph: states in columns by their
// distance from the start state (left to right), edges labelled with the intent that takes
// them. Pure, so it can be unit-tested without a canvas.
import type { Schemas } from "../api/client";

type Graph = Schemas["Graph"];

export interface GraphNode {
  name: string;
  x: number;
  y: number;
  line: number;
  kind: "start" | "end" | "transfer" | "state";
  tooltip: string;
}

/** Each state's layer: breadth-first from the start; unreachable states go last. */
export function layers(g: Graph): Map<string, number> {
  const depth = new Map<string, number>();
  const states = (g.states ?? []).map((s) => s.name);
  const out = new Map<string, string[]>();
  for (const e of g.edges ?? []) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e.to);
  const queue: string[] = [];
  if (states.includes(g.start)) {
    depth.set(g.start, 0);
    queue.push(g.start);
  }
  while (queue.length) {
    const n = queue.shift()!;
    for (const to of out.get(n) ?? []) {
      if (!depth.has(to) && states.includes(to)) {
        depth.set(to, depth.get(n)! + 1);
        queue.push(to);
      }
    }
  }
  const last = Math.max(-1, ...depth.values()) + 1;
  for (const s of states) if (!depth.has(s)) depth.set(s, last);
  return depth;
}

export function graphNodes(g: Graph): GraphNode[] {
  const depth = layers(g);
  const perLayer = new Map<number, number>();
  return (g.states ?? []).map((s) => {
    const d = depth.get(s.name) ?? 0;
    const i = perLayer.get(d) ?? 0;
    perLayer.set(d, i + 1);
    const kind = s.name === g.start ? "start" : s.end ? "end" : s.transfer ? "transfer" : "state";
    const say = s.say || (s.sayFunction ? "ƒ(c)" : "");
    const tip = [s.name, say, s.end ? `→ ${s.end}` : "", s.transfer ? `⇄ ${s.transfer}` : ""].filter(Boolean).join("<br/>");
    return { name: s.name, x: d * 200, y: i * 70, line: s.line, kind, tooltip: tip };
  });
}

const colors: Record<GraphNode["kind"], string> = { start: "#1677ff", end: "#52c41a", transfer: "#fa8c16", state: "#8c8c8c" };

export function graphOption(g: Graph) {
  const nodes = graphNodes(g);
  return {
    tooltip: { formatter: (p: { dataType?: string; data?: { tooltip?: string; label?: string } }) => (p.dataType === "node" ? p.data?.tooltip : p.data?.label) ?? "" },
    series: [
      {
        type: "graph",
        layout: "none",
        roam: true,
        symbolSize: 18,
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 8,
        label: { show: true, position: "top", fontSize: 12 },
        edgeLabel: { show: true, fontSize: 11, color: "#595959", formatter: (p: { data?: { label?: string } }) => p.data?.label ?? "" },
        lineStyle: { color: "#bfbfbf", width: 1.5, curveness: 0.15 },
        data: nodes.map((n) => ({ name: n.name, x: n.x, y: n.y, line: n.line, tooltip: n.tooltip, itemStyle: { color: colors[n.kind] } })),
        links: (g.edges ?? []).map((e) => ({
          source: e.from,
          target: e.to,
          label: e.dynamic ? `${e.intent || "ƒ"}*` : e.intent,
          lineStyle: e.dynamic ? { type: "dashed" } : undefined,
        })),
      },
    ],
  };
}
