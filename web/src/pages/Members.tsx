// Team members: who can log in and with which role. Add someone with a
// password, or invite them with a token shown once.
import { UserAddOutlined } from "@ant-design/icons";
import { App, Button, Form, Input, Popconfirm, Radio, Select, Tag, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, roles, unwrap, type Role, type User } from "../api/client";
import { FormModal, useFormSubmit } from "../components/FormModal";
import { problemMessage } from "../components/forms";
import { ErrorAlert, PageHeader, PagedTable } from "../components/ListPage";
import { SecretOnceModal, SecretValue } from "../components/SecretOnce";
import { usePagedList } from "../components/usePagedList";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

interface AddValues {
  email: string;
  name?: string;
  role: Role;
  how: "invite" | "password";
  password?: string;
}

export default function MembersPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const [adding, setAdding] = useState(false);
  const [invite, setInvite] = useState<{ email: string; token: string } | null>(null);

  const list = usePagedList((cursor) => unwrap(api.GET("/v1/users", { params: { query: { limit: 50, cursor } } })));
  const { load } = list;

  const canManage = atLeast(me?.role, "admin");
  const changeRole = async (u: User, role: Role) => {
    try {
      await unwrap(api.PATCH("/v1/users/{user_id}", { params: { path: { user_id: u.id } }, body: { role } }));
      message.success(t("members.roleChanged", { who: u.name || u.email, role: t(`roles.${role}`) }));
    } catch (e) {
      message.error(problemMessage(e, t));
    }
    void load();
  };
  const remove = async (u: User) => {
    try {
      await unwrap(api.DELETE("/v1/users/{user_id}", { params: { path: { user_id: u.id } } }));
      message.success(t("members.removed", { who: u.name || u.email }));
    } catch (e) {
      message.error(problemMessage(e, t));
    }
    void load();
  };

  return (
    <>
      <PageHeader
        title={t("nav.members")}
        intro={t("members.intro")}
        action={
          <Button type="primary" icon={<UserAddOutlined />} onClick={() => setAdding(true)} disabled={!canManage} data-testid="add-member">
            {t("members.add")}
          </Button>
        }
      />
      <ErrorAlert error={list.error} />
      <PagedTable<User>
        list={list}
        empty={t("members.empty")}
        columns={[
          {
            title: t("members.person"),
            render: (_: unknown, u) => (
              <>
                <div>{u.name || "—"}</div>
                <Typography.Text type="secondary">{u.email}</Typography.Text>
              </>
            ),
          },
          {
            title: t("common.role"),
            dataIndex: "role",
            render: (r: Role, u) =>
              canManage && u.id !== me?.user?.id ? (
                <Select
                  value={r}
                  style={{ width: 140 }}
                  onChange={(v) => changeRole(u, v)}
                  data-testid={`role-${u.email}`}
                  options={roles.map((x) => ({ value: x, label: t(`roles.${x}`), title: t(`members.roleDesc.${x}`), disabled: !atLeast(me?.role, x) }))}
                />
              ) : (
                t(`roles.${r}`)
              ),
          },
          {
            title: t("common.status"),
            render: (_: unknown, u) =>
              u.invited ? <Tag color="gold">{t("members.invited")}</Tag> : <Tag color="green">{t("members.active")}</Tag>,
          },
          { title: t("members.lastLogin"), dataIndex: "last_login_at", render: (v?: string) => (v ? formatTime(v) : "—") },
          { title: t("common.created"), dataIndex: "created_at", render: formatTime },
          {
            title: t("common.actions"),
            render: (_: unknown, u) =>
              u.id !== me?.user?.id &&
              canManage && (
                <Popconfirm title={t("members.removeConfirm", { who: u.name || u.email })} okText={t("members.remove")} okButtonProps={{ danger: true }} cancelText={t("common.cancel")} onConfirm={() => remove(u)}>
                  <Button danger size="small">
                    {t("members.remove")}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <AddMemberModal
        open={adding}
        myRole={me?.role}
        onClose={() => setAdding(false)}
        onAdded={(email, token) => {
          setAdding(false);
          if (token) setInvite({ email, token });
          else message.success(t("members.added", { who: email }));
          void load();
        }}
      />
      <SecretOnceModal
        open={invite !== null}
        title={t("members.inviteTitle", { who: invite?.email })}
        note={t("members.inviteNote")}
        value={invite?.token ?? ""}
        testId="invite-token"
        extra={
          invite && (
            <>
              <Typography.Text>{t("members.inviteLink")}</Typography.Text>
              <SecretValue value={`${window.location.origin}/accept-invitation?token=${encodeURIComponent(invite.token)}`} testId="invite-link" />
            </>
          )
        }
        onClose={() => setInvite(null)}
      />
    </>
  );
}

function AddMemberModal({ open, myRole, onClose, onAdded }: { open: boolean; myRole?: Role; onClose: () => void; onAdded: (email: string, token?: string) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<AddValues>();
  const how = Form.useWatch("how", form);
  const submitting = useFormSubmit(form, ["email", "name", "role", "password"], async (v: AddValues) => {
    const r = await unwrap(
      api.POST("/v1/users", {
        body: { email: v.email, name: v.name || undefined, role: v.role, password: v.how === "password" ? v.password : undefined },
      }),
    );
    form.resetFields();
    onAdded(r.user.email, r.invite_token);
  });
  return (
    <FormModal
      form={form}
      submitting={submitting}
      open={open}
      title={t("members.add")}
      okText={how === "password" ? t("members.addButton") : t("members.inviteButton")}
      onCancel={onClose}
      okTestId="add-member-submit"
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={submitting.submit} initialValues={{ role: "operator", how: "invite" }} requiredMark={false}>
        <Form.Item name="email" label={t("auth.email")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input data-testid="member-email" />
        </Form.Item>
        <Form.Item name="name" label={t("members.name")}>
          <Input data-testid="member-name" />
        </Form.Item>
        <Form.Item name="role" label={t("common.role")} extra={t("members.roleHint")}>
          <Select
            data-testid="member-role"
            options={roles.map((r) => ({ value: r, label: t(`roles.${r}`), disabled: !atLeast(myRole, r) }))}
            optionRender={(o) => (
              <div data-testid={`member-role-${o.value}`}>
                <div>{o.label}</div>
                <div style={{ fontSize: 12, color: "#888", whiteSpace: "normal" }}>{t(`members.roleDesc.${o.value}`)}</div>
              </div>
            )}
          />
        </Form.Item>
        <Form.Item name="how" label={t("members.how")}>
          <Radio.Group>
            <Radio value="invite">{t("members.howInvite")}</Radio>
            <Radio value="password">{t("members.howPassword")}</Radio>
          </Radio.Group>
        </Form.Item>
        {how === "password" && (
          <Form.Item name="password" label={t("auth.password")} extra={t("auth.passwordHint")} rules={[{ required: true, message: t("errors.required") }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        )}
      </Form>
    </FormModal>
  );
}
