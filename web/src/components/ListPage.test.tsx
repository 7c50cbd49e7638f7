// @vitest-environment jsdom
// The list page pieces: the empty state, the rows, "load more" only while
// there is a next page, the error alert only when there is an error.
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import i18n from "../i18n";
import { ErrorAlert, PageHeader, PagedTable } from "./ListPage";
import type { PagedList } from "./usePagedList";

type Row = { id: string; name: string };
const list = (items: Row[], cursor = "", load = vi.fn(async () => {})): PagedList<Row> => ({ items, cursor, loading: false, error: null, load });
const columns = [{ title: "Name", dataIndex: "name" }];

describe("PagedTable", () => {
  beforeAll(async () => {
    await i18n.changeLanguage("en");
  });
  afterEach(cleanup);

  it("shows a string empty state in an Empty, and no load more", () => {
    render(<PagedTable<Row> list={list([])} empty="No rows yet" columns={columns} />);
    expect(screen.getByText("No rows yet")).toBeTruthy();
    expect(screen.queryByText("Load more")).toBeNull();
  });

  it("shows an empty state given as an element as it is", () => {
    render(<PagedTable<Row> list={list([])} empty={<span data-testid="custom-empty">none</span>} columns={columns} />);
    expect(screen.getByTestId("custom-empty").textContent).toBe("none");
  });

  it("shows the rows and asks for the page after the cursor", () => {
    const load = vi.fn(async () => {});
    render(<PagedTable<Row> list={list([{ id: "1", name: "first" }, { id: "2", name: "second" }], "next-1", load)} empty="No rows yet" columns={columns} />);
    expect(screen.getByText("first")).toBeTruthy();
    expect(screen.getByText("second")).toBeTruthy();
    expect(screen.queryByText("No rows yet")).toBeNull();
    fireEvent.click(screen.getByText("Load more"));
    expect(load).toHaveBeenCalledWith("next-1");
  });

  it("lets the page pick rowKey, dataSource and a test id", () => {
    const { container } = render(
      <PagedTable<Row> list={list([{ id: "1", name: "a" }, { id: "2", name: "b" }])} empty="" rowKey="name" dataSource={[{ id: "2", name: "b" }]} data-testid="rows" columns={columns} />,
    );
    expect(screen.getByTestId("rows")).toBeTruthy();
    expect(screen.queryByText("a")).toBeNull();
    expect(container.querySelector('tr[data-row-key="b"]')).toBeTruthy();
  });

  it("puts the title and extra in the card's head", () => {
    const { container } = render(<PagedTable<Row> list={list([])} empty="" cardTitle="Deliveries" extra={<button>Create</button>} columns={columns} />);
    expect(container.querySelector(".ant-card-head")?.textContent).toContain("Deliveries");
    expect(container.querySelector(".ant-card-head")?.textContent).toContain("Create");
  });
});

describe("ErrorAlert", () => {
  afterEach(cleanup);

  it("shows nothing without an error", () => {
    const { container } = render(<ErrorAlert error={null} />);
    expect(container.innerHTML).toBe("");
  });

  it("shows the error with its test id", () => {
    render(<ErrorAlert error="it broke" testId="form-error" />);
    expect(screen.getByTestId("form-error").textContent).toContain("it broke");
  });
});

describe("PageHeader", () => {
  afterEach(cleanup);

  it("shows the title and the intro, with the action when given", () => {
    render(<PageHeader title="Keys" intro="About keys" action={<button>Add</button>} />);
    expect(screen.getByTestId("page-title").textContent).toBe("Keys");
    expect(screen.getByText("About keys")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Add" })).toBeTruthy();
  });

  it("shows the intro as a paragraph when there is no action", () => {
    render(<PageHeader title="Scripts" intro="About scripts" />);
    expect(screen.getByTestId("page-title").textContent).toBe("Scripts");
    expect(screen.getByText("About scripts").tagName).toBe("DIV");
  });
});
