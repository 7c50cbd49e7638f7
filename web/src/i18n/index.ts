// Every string the portal shows comes from these translation files.
// Chinese (zh-CN) is the default; the choice is kept in localStorage.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import zhCN from "./zh-CN.json";
import en from "./en.json";
import moreZhCN from "./more.zh-CN.json";
import moreEn from "./more.en.json";
import reportsZhCN from "./reports.zh-CN.json";
import reportsEn from "./reports.en.json";
import deskZhCN from "./desk.zh-CN.json";
import deskEn from "./desk.en.json";

export const languages = ["zh-CN", "en"] as const;
export type Language = (typeof languages)[number];

const storageKey = "outcall.lang";

export function savedLanguage(): Language {
  try {
    const v = localStorage.getItem(storageKey);
    if (v === "en" || v === "zh-CN") return v;
  } catch {
    // storage may be off; the default stands
  }
  return "zh-CN";
}

export function setLanguage(lang: Language) {
  try {
    localStorage.setItem(storageKey, lang);
  } catch {
    // the choice then lasts until the page reloads
  }
  document.documentElement.lang = lang;
  return i18n.changeLanguage(lang);
}

type Tree = { [k: string]: string | Tree };

/**
 * The portal's strings: the main file with the settings screens' file laid
 * over it, namespace by namespace (a namespace in both, like nav, keeps the
 * keys of each).
 */
export function mergeStrings(base: Tree, more: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(more)) {
    const b = out[k];
    out[k] = typeof b === "object" && typeof v === "object" ? { ...b, ...v } : v;
  }
  return out;
}

void i18n.use(initReactI18next).init({
  resources: {
    "zh-CN": { translation: mergeStrings(mergeStrings(mergeStrings(zhCN, moreZhCN), reportsZhCN), deskZhCN) },
    en: { translation: mergeStrings(mergeStrings(mergeStrings(en, moreEn), reportsEn), deskEn) },
  },
  lng: savedLanguage(),
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});
if (typeof document !== "undefined") document.documentElement.lang = i18n.language;

export default i18n;
