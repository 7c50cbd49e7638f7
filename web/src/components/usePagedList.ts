// A cursor-paged list from the API: the first page on mount (and again when
// deps change), more pages on request, and the error of the last load.
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { useTranslation } from "react-i18next";
import { problemMessage } from "./forms";

export interface Page<T> {
  items?: T[] | null;
  next_cursor: string;
}

export interface PagedList<T> {
  items: T[];
  /** The cursor of the next page; empty on the last one. */
  cursor: string;
  loading: boolean;
  error: string | null;
  /** Loads the first page again (after = "") or the page after a cursor. */
  load: (after?: string) => Promise<void>;
}

/** fetchPage gets the cursor to read from, undefined for the first page. */
export function usePagedList<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, deps: DependencyList = []): PagedList<T> {
  const { t } = useTranslation();
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const load = useCallback(
    async (after = "") => {
      setLoading(true);
      try {
        const page = await fetchRef.current(after || undefined);
        setItems((prev) => (after ? [...prev, ...(page.items ?? [])] : (page.items ?? [])));
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        setError(problemMessage(e, t));
      } finally {
        setLoading(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [t, ...deps],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return { items, cursor, loading, error, load };
}
