// A secret the API shows only once (an API key, a signing secret, an
// invitation token), with a copy button and a warning to keep it now.
import { CopyOutlined, CheckOutlined } from "@ant-design/icons";
import { Alert, Button, Input, Modal, Space, Typography } from "antd";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

export function SecretValue({ value, testId }: { value: string; testId?: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Without clipboard access (plain HTTP), select the text instead.
      const el = document.querySelector<HTMLInputElement>(`[data-secret="${testId ?? "secret"}"]`);
      el?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <Space.Compact style={{ width: "100%" }}>
      <Input readOnly value={value} data-secret={testId ?? "secret"} data-testid={testId} style={{ fontFamily: "monospace" }} />
      <Button icon={copied ? <CheckOutlined /> : <CopyOutlined />} onClick={copy} data-testid={testId ? `${testId}-copy` : undefined}>
        {copied ? t("common.copied") : t("common.copy")}
      </Button>
    </Space.Compact>
  );
}

export function SecretOnceModal({
  open,
  title,
  value,
  note,
  extra,
  onClose,
  testId,
}: {
  open: boolean;
  title: string;
  value: string;
  note?: string;
  extra?: ReactNode;
  onClose: () => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onClose}
      maskClosable={false}
      footer={
        <Button type="primary" onClick={onClose} data-testid="secret-done">
          {t("secret.done")}
        </Button>
      }
    >
      <Space direction="vertical" style={{ width: "100%" }} size="middle">
        <Alert type="warning" showIcon title={t("secret.onlyOnce")} description={note} />
        <SecretValue value={value} testId={testId} />
        {extra}
        <Typography.Text type="secondary">{t("secret.storeSafely")}</Typography.Text>
      </Space>
    </Modal>
  );
}
