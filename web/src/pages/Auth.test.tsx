// @vitest-environment jsdom
// The login screen against a stand-in for the API: the error of a wrong
// password is shown in the portal's language, and the language switch works.
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App as AntApp } from "antd";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import i18n from "../i18n";
import { SessionProvider } from "../session/Session";
import { LoginPage } from "./Auth";

function problem(status: number, detail: string, errors: object[] = []) {
  return new Response(JSON.stringify({ status, title: "x", detail, errors }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });
}

describe("LoginPage", () => {
  beforeEach(async () => {
    await i18n.changeLanguage("zh-CN");
    vi.stubGlobal(
      "fetch",
      vi.fn(async (req: Request) => {
        const path = new URL(req.url).pathname;
        if (path === "/v1/me") return problem(401, "authentication required");
        if (path === "/v1/login") return problem(401, "invalid credentials");
        return problem(404, "not found");
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  const renderLogin = () =>
    render(
      <AntApp>
        <SessionProvider>
          <MemoryRouter initialEntries={["/login"]}>
            <LoginPage />
          </MemoryRouter>
        </SessionProvider>
      </AntApp>,
    );

  it("shows a refused login in Chinese, then switches to English", async () => {
    renderLogin();
    expect(await screen.findByRole("heading", { name: "登录" })).toBeTruthy();
    fireEvent.change(screen.getByTestId("login-email"), { target: { value: "ops@shop.example" } });
    fireEvent.change(screen.getByTestId("login-password"), { target: { value: "not the password" } });
    fireEvent.click(screen.getByTestId("login-submit"));
    await waitFor(() => expect(screen.getByTestId("form-error").textContent).toContain("邮箱或密码不正确"));

    await act(async () => {
      fireEvent.click(screen.getByTestId("lang-switch"));
    });
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeTruthy();
  });
});
