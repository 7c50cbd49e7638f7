// The portal's routes.
import { App as AntApp, ConfigProvider, Spin } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { useTranslation } from "react-i18next";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { lazy, Suspense, type ReactNode } from "react";
import Shell, { onlyPathOf } from "./components/Shell";
import ApiKeysPage from "./pages/ApiKeys";
import { AcceptInvitationPage, LoginPage, SignupPage, VerifyEmailPage } from "./pages/Auth";
import BillingPage from "./pages/Billing";
import CompliancePage from "./pages/Compliance";
import ContactsPage from "./pages/Contacts";
import DashboardPage from "./pages/Dashboard";
import MembersPage from "./pages/Members";
import NoticesPage from "./pages/Notices";
import ReportsPage from "./pages/Reports";
import ReviewPage from "./pages/Review";
import SegmentsPage from "./pages/Segments";
import TrunksPage from "./pages/Trunks";
import WebhookDetailPage from "./pages/WebhookDetail";
import WebhooksPage from "./pages/Webhooks";
import { SessionProvider, useSession } from "./session/Session";

// The larger screens load on first visit, so signing in stays quick.
const ScriptsPage = lazy(() => import("./pages/Scripts"));
const ScriptDetailPage = lazy(() => import("./pages/ScriptDetail"));
const CampaignsPage = lazy(() => import("./pages/Campaigns"));
const CampaignNewPage = lazy(() => import("./pages/CampaignNew"));
const CampaignDetailPage = lazy(() => import("./pages/CampaignDetail"));
const CallsPage = lazy(() => import("./pages/Calls"));
const CallDetailPage = lazy(() => import("./pages/CallDetail"));
const MessagesPage = lazy(() => import("./pages/Messages"));
const DeskPage = lazy(() => import("./pages/Desk"));

function Loading() {
  return (
    <div style={{ display: "flex", justifyContent: "center", paddingTop: "20vh" }}>
      <Spin size="large" />
    </div>
  );
}

function RequireSession({ children }: { children: ReactNode }) {
  const { me, loading } = useSession();
  const location = useLocation();
  if (loading) {
    return (
      <div style={{ display: "flex", justifyContent: "center", paddingTop: "30vh" }}>
        <Spin size="large" />
      </div>
    );
  }
  if (!me) {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  // An agent has the desk only: every other address (and signing in) leads there.
  const only = onlyPathOf(me.role);
  if (only && location.pathname !== only && !location.pathname.startsWith(`${only}/`)) return <Navigate to={only} replace />;
  return <>{children}</>;
}

export function PortalRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route path="/verify-email" element={<VerifyEmailPage />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="members" element={<MembersPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="webhooks/:id" element={<WebhookDetailPage />} />
        <Route path="notices" element={<NoticesPage />} />
        <Route path="billing" element={<BillingPage />} />
        <Route path="compliance" element={<CompliancePage />} />
        <Route path="contacts" element={<ContactsPage />} />
        <Route path="segments" element={<SegmentsPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="trunks" element={<TrunksPage />} />
        <Route path="scripts" element={<Suspense fallback={<Loading />}><ScriptsPage /></Suspense>} />
        <Route path="scripts/:id" element={<Suspense fallback={<Loading />}><ScriptDetailPage /></Suspense>} />
        <Route path="campaigns" element={<Suspense fallback={<Loading />}><CampaignsPage /></Suspense>} />
        <Route path="campaigns/new" element={<Suspense fallback={<Loading />}><CampaignNewPage /></Suspense>} />
        <Route path="campaigns/:id" element={<Suspense fallback={<Loading />}><CampaignDetailPage /></Suspense>} />
        <Route path="calls" element={<Suspense fallback={<Loading />}><CallsPage /></Suspense>} />
        <Route path="calls/:id" element={<Suspense fallback={<Loading />}><CallDetailPage /></Suspense>} />
        <Route path="messages" element={<Suspense fallback={<Loading />}><MessagesPage /></Suspense>} />
        <Route path="desk" element={<Suspense fallback={<Loading />}><DeskPage /></Suspense>} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

export default function PortalApp() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === "en" ? enUS : zhCN} theme={{ token: { colorPrimary: "#1677ff", borderRadius: 6 } }}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <PortalRoutes />
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}
