// @vitest-environment jsdom
// The contacts import takes CSV files and Excel workbooks: the picker
// offers both, and each file is sent as is with the content type that says
// which it is.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App as AntApp } from "antd";
import { MemoryRouter } from "react-router";
import { File as NodeFile } from "node:buffer";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import i18n from "../i18n";
import { SessionProvider } from "../session/Session";
import ContactsPage, { importAccept, importContentType, xlsxType } from "./Contacts";

describe("importContentType", () => {
  it("sends a workbook as a workbook, by its name or its type", () => {
    expect(importContentType({ name: "名单.xlsx", type: xlsxType })).toBe(xlsxType);
    expect(importContentType({ name: "LIST.XLSX", type: "" })).toBe(xlsxType);
    expect(importContentType({ name: "list", type: xlsxType })).toBe(xlsxType);
  });

  it("sends anything else as CSV, also a .csv file the browser calls an Excel file", () => {
    expect(importContentType({ name: "名单.csv", type: "text/csv" })).toBe("text/csv");
    expect(importContentType({ name: "名单.csv", type: "application/vnd.ms-excel" })).toBe("text/csv");
    expect(importContentType({ name: "export.txt", type: "text/plain" })).toBe("text/csv");
  });

  it("offers both in the file picker", () => {
    expect(importAccept.split(",")).toEqual(expect.arrayContaining([".csv", ".xlsx", "text/csv", xlsxType]));
  });
});

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("the import dialog", () => {
  let sent: { contentType: string | null; bytes: number }[] = [];
  const list = { id: "0190a0b0-0000-7000-8000-000000000001", name: "回访", description: "", contacts: 0, created_at: "2026-11-24T04:00:00Z" };
  const job = {
    id: "0190a0b0-0000-7000-8000-000000000002",
    list_id: list.id,
    status: "done",
    format: "xlsx",
    encoding: "utf-8",
    sheet: "Sheet1",
    phone_column: "手机号",
    size_bytes: 5,
    rows_total: 1,
    rows_done: 1,
    rows_imported: 1,
    rows_merged: 0,
    rows_failed: 0,
    errors_url: "/v1/imports/0190a0b0-0000-7000-8000-000000000002/errors",
    created_at: "2026-11-24T04:00:00Z",
  };

  beforeEach(async () => {
    sent = [];
    await i18n.changeLanguage("zh-CN");
    // jsdom has no ResizeObserver; antd's table and tabs ask for one.
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        unobserve() {}
        disconnect() {}
      },
    );
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        const path = new URL(req.url).pathname;
        if (path === "/v1/me") return json(200, { role: "owner", email: "ops@shop.example", name: "Ops" });
        if (path === "/v1/lists") return json(200, { items: [list], next_cursor: "" });
        if (path === `/v1/lists/${list.id}/imports` && req.method === "POST") {
          sent.push({ contentType: req.headers.get("Content-Type"), bytes: (await req.arrayBuffer()).byteLength });
          return json(202, { ...job, status: "queued", rows_done: 0, rows_imported: 0 });
        }
        if (path === `/v1/imports/${job.id}`) return json(200, job);
        return json(404, { status: 404, title: "Not Found", detail: "not found" });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  // The files are Node's: the fetch the client sends them through is Node's,
  // which reads a Blob of its own realm, not one of jsdom's.
  async function upload(file: NodeFile) {
    render(
      <AntApp>
        <SessionProvider>
          <MemoryRouter initialEntries={["/contacts"]}>
            <ContactsPage />
          </MemoryRouter>
        </SessionProvider>
      </AntApp>,
    );
    const button = await screen.findByTestId(`import-${list.name}`);
    await waitFor(() => expect((button as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(button);
    const input = (await screen.findByTestId("import-file")).closest(".ant-upload-wrapper")?.querySelector('input[type="file"]') as HTMLInputElement;
    expect(input.accept).toBe(importAccept);
    expect(screen.getByTestId("import-formats").textContent).toContain(".xlsx");
    fireEvent.change(input, { target: { files: [file as unknown as File] } });
    await screen.findByText(file.name);
    fireEvent.click(screen.getByTestId("import-start"));
    await screen.findByTestId("import-progress");
  }

  it("sends an Excel workbook as one", async () => {
    await upload(new NodeFile([new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14])], "名单.xlsx", { type: xlsxType }));
    expect(sent).toEqual([{ contentType: xlsxType, bytes: 5 }]);
  });

  it("sends a CSV file as text/csv", async () => {
    await upload(new NodeFile(["phone\n13812341234\n"], "名单.csv", { type: "application/vnd.ms-excel" }));
    expect(sent).toEqual([{ contentType: "text/csv", bytes: 18 }]);
  });
});
