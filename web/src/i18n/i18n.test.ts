// Every string goes through the translation files: both languages have the
// same keys, none empty, and every key the code asks for exists.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scopes, roles } from "../api/client";
import { sections } from "../components/Shell";
import deskEn from "./desk.en.json";
import deskZhCN from "./desk.zh-CN.json";
import en from "./en.json";
import { mergeStrings } from "./index";
import moreEn from "./more.en.json";
import moreZhCN from "./more.zh-CN.json";
import reportsEn from "./reports.en.json";
import reportsZhCN from "./reports.zh-CN.json";
import zhCN from "./zh-CN.json";

type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "string") out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

// What the portal loads: each main file with its more.*, reports.* and desk.* files laid over it.
const zh = flatten(mergeStrings(mergeStrings(mergeStrings(zhCN as Tree, moreZhCN as Tree), reportsZhCN as Tree), deskZhCN as Tree));
const english = flatten(mergeStrings(mergeStrings(mergeStrings(en as Tree, moreEn as Tree), reportsEn as Tree), deskEn as Tree));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [p] : [];
  });
}

describe("translations", () => {
  it("have the same keys in Chinese and English", () => {
    expect([...english.keys()].sort()).toEqual([...zh.keys()].sort());
  });

  it("keep the same keys in both settings-screen files, none already in the main files", () => {
    const moreZh = flatten(moreZhCN as Tree);
    const moreEnglish = flatten(moreEn as Tree);
    expect([...moreEnglish.keys()].sort()).toEqual([...moreZh.keys()].sort());
    const main = flatten(zhCN as Tree);
    expect([...moreZh.keys()].filter((k) => main.has(k))).toEqual([]);
  });

  it("keep the same keys in both reports-screen files, none already in the other files", () => {
    const repZh = flatten(reportsZhCN as Tree);
    const repEnglish = flatten(reportsEn as Tree);
    expect([...repEnglish.keys()].sort()).toEqual([...repZh.keys()].sort());
    const others = flatten(mergeStrings(zhCN as Tree, moreZhCN as Tree));
    expect([...repZh.keys()].filter((k) => others.has(k))).toEqual([]);
    expect(Object.keys(reportsZhCN).sort()).toEqual(["nav", "reports"]);
  });

  it("keep the same keys in both desk files, none already in the other files", () => {
    const dZh = flatten(deskZhCN as Tree);
    const dEnglish = flatten(deskEn as Tree);
    expect([...dEnglish.keys()].sort()).toEqual([...dZh.keys()].sort());
    const others = flatten(mergeStrings(mergeStrings(zhCN as Tree, moreZhCN as Tree), reportsZhCN as Tree));
    expect([...dZh.keys()].filter((k) => others.has(k))).toEqual([]);
  });

  it("have no empty strings", () => {
    for (const [k, v] of [...zh, ...english]) expect(v.trim(), k).not.toBe("");
  });

  it("use the same placeholders in both languages", () => {
    const vars = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of zh) expect(vars(english.get(k) ?? ""), k).toEqual(vars(v));
  });

  it("hold every key the code asks for", () => {
    const dir = join(__dirname, "..");
    const missing: string[] = [];
    for (const file of sources(dir)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\(\s*"([^"]+)"/g)) if (!zh.has(m[1])) missing.push(`${file}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it("name every menu entry, role and scope", () => {
    const keys = [
      ...sections.map((s) => `nav.${s.key}`),
      ...roles.map((r) => `roles.${r}`),
      ...scopes.map((s) => `scopes.${s.replace(":", "_")}`),
    ];
    expect(keys.filter((k) => !zh.has(k))).toEqual([]);
  });
});
