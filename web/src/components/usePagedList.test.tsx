// @vitest-environment jsdom
// The paged-list hook: first page on mount, more pages appended, a failed
// load shown as a message while the rows stay, a change of deps reloads.
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/problem";
import i18n from "../i18n";
import { usePagedList, type Page } from "./usePagedList";

type Row = { id: string };
const page = (ids: string[], next = ""): Page<Row> => ({ items: ids.map((id) => ({ id })), next_cursor: next });

describe("usePagedList", () => {
  beforeAll(async () => {
    await i18n.changeLanguage("en");
  });
  afterEach(cleanup);

  it("loads the first page on mount, then appends the next one", async () => {
    const fetchPage = vi.fn(async (cursor: string | undefined) => (cursor === "c1" ? page(["b"]) : page(["a"], "c1")));
    const { result } = renderHook(() => usePagedList(fetchPage));
    expect(result.current.loading).toBe(true);
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(fetchPage).toHaveBeenCalledWith(undefined);
    expect(result.current.items).toEqual([{ id: "a" }]);
    expect(result.current.cursor).toBe("c1");

    await act(() => result.current.load("c1"));
    expect(fetchPage).toHaveBeenLastCalledWith("c1");
    expect(result.current.items).toEqual([{ id: "a" }, { id: "b" }]);
    expect(result.current.cursor).toBe("");

    await act(() => result.current.load());
    expect(result.current.items).toEqual([{ id: "a" }]);
    expect(fetchPage).toHaveBeenCalledTimes(3);
  });

  it("treats a missing items array as an empty page", async () => {
    const { result } = renderHook(() => usePagedList<Row>(async () => ({ items: null, next_cursor: "" })));
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.items).toEqual([]);
  });

  it("shows a failed load as a message, keeps the rows, and clears it on the next success", async () => {
    let fail = false;
    const fetchPage = vi.fn(async () => {
      if (fail) throw new ApiError({ status: 500, title: "Internal Server Error", detail: "database is down" });
      return page(["a"]);
    });
    const { result } = renderHook(() => usePagedList(fetchPage));
    await waitFor(() => expect(result.current.items).toEqual([{ id: "a" }]));

    fail = true;
    await act(() => result.current.load());
    expect(result.current.error).toBe("database is down");
    expect(result.current.items).toEqual([{ id: "a" }]);
    expect(result.current.loading).toBe(false);

    fail = false;
    await act(() => result.current.load());
    expect(result.current.error).toBeNull();
  });

  it("reloads the first page when a dependency changes, with the newest fetcher", async () => {
    const fetchPage = vi.fn(async (status: string) => page([status]));
    const { result, rerender } = renderHook(({ status }) => usePagedList(() => fetchPage(status), [status]), {
      initialProps: { status: "pending" },
    });
    await waitFor(() => expect(result.current.items).toEqual([{ id: "pending" }]));
    rerender({ status: "approved" });
    await waitFor(() => expect(result.current.items).toEqual([{ id: "approved" }]));
    expect(fetchPage).toHaveBeenCalledTimes(2);

    rerender({ status: "approved" });
    await act(async () => {});
    expect(fetchPage).toHaveBeenCalledTimes(2);
  });
});
