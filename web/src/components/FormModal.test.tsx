// @vitest-environment jsdom
// A modal form that saves to the API: the OK button submits the form, an
// API error goes next to its field or above the form, busy while saving.
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Form, Input } from "antd";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/problem";
import i18n from "../i18n";
import { FormModal, useFormSubmit } from "./FormModal";

type Values = { name: string };

function NameModal({ save, danger }: { save: (v: Values) => Promise<unknown>; danger?: boolean }) {
  const [form] = Form.useForm<Values>();
  const submitting = useFormSubmit(form, ["name"], save);
  return (
    <FormModal
      form={form}
      submitting={submitting}
      open
      title="Name it"
      okText="Save"
      okTestId="name-submit"
      okButtonProps={{ danger }}
      errorTestId="name-error"
      onCancel={() => {}}
    >
      <span data-testid="busy">{String(submitting.busy)}</span>
      <Form form={form} onFinish={submitting.submit}>
        <Form.Item name="name">
          <Input data-testid="name" />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

describe("FormModal with useFormSubmit", () => {
  beforeAll(async () => {
    await i18n.changeLanguage("en");
  });
  afterEach(cleanup);

  it("submits the form's values through OK and shows Cancel in the portal's language", async () => {
    const save = vi.fn(async () => {});
    render(<NameModal save={save} />);
    expect(screen.getByRole("button", { name: "Cancel" })).toBeTruthy();
    fireEvent.change(screen.getByTestId("name"), { target: { value: "Spring sale" } });
    fireEvent.click(screen.getByTestId("name-submit"));
    await waitFor(() => expect(save).toHaveBeenCalledWith({ name: "Spring sale" }));
    expect(document.querySelector(".ant-alert-error")).toBeNull();
  });

  it("puts an error about a field next to it and the rest above the form", async () => {
    const save = vi.fn(async () => {
      throw new ApiError({
        status: 422,
        title: "Unprocessable Entity",
        detail: "validation failed",
        errors: [
          { location: "body.name", message: "a list with this name exists already" },
          { location: "query.x", message: "x is odd" },
        ],
      });
    });
    render(<NameModal save={save} />);
    fireEvent.change(screen.getByTestId("name"), { target: { value: "dup" } });
    fireEvent.click(screen.getByTestId("name-submit"));
    await waitFor(() => expect(screen.getByText("a list with this name exists already")).toBeTruthy());
    const alert = screen.getByTestId("name-error");
    expect(alert?.textContent).toContain("x is odd");
    expect(alert?.textContent).not.toContain("exists already");
    expect(screen.getByTestId("busy").textContent).toBe("false");
  });

  it("is busy while saving and clears the last error when submitted again", async () => {
    let finish: () => void = () => {};
    let calls = 0;
    const save = vi.fn(() => {
      calls++;
      if (calls === 1) return Promise.reject(new ApiError({ status: 500, title: "x", detail: "try later" }));
      return new Promise<void>((r) => (finish = r));
    });
    render(<NameModal save={save} />);
    fireEvent.change(screen.getByTestId("name"), { target: { value: "a" } });
    fireEvent.click(screen.getByTestId("name-submit"));
    await waitFor(() => expect(document.querySelector(".ant-alert-error")?.textContent).toContain("try later"));

    fireEvent.click(screen.getByTestId("name-submit"));
    await waitFor(() => expect(screen.getByTestId("busy").textContent).toBe("true"));
    expect(document.querySelector(".ant-alert-error")).toBeNull();
    await act(async () => finish());
    await waitFor(() => expect(screen.getByTestId("busy").textContent).toBe("false"));
  });

  it("keeps the page's OK button props beside its test id", () => {
    render(<NameModal save={async () => {}} danger />);
    expect(screen.getByTestId("name-submit").className).toContain("ant-btn-dangerous");
  });
});
