// Speech settings: who speaks the tenant's prompts (TTS) and who hears its
// callees (ASR). API keys are write-only: the form says whether one is
// stored, keeps it when left empty, and removes it on request.
import { Alert, App, Button, Card, Checkbox, Col, Form, Input, Radio, Row, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, atLeast, unwrap, type Schemas } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import { formatTime } from "../format";
import { useSession } from "../session/Session";

type Speech = Schemas["SpeechBody"];
type SpeechFields = Schemas["SpeechFields"];

interface Values {
  tts: NonNullable<SpeechFields["tts"]>;
  tts_url?: string;
  tts_model?: string;
  tts_voice?: string;
  tts_api_key?: string;
  tts_remove_key?: boolean;
  asr: NonNullable<SpeechFields["asr"]>;
  asr_url?: string;
  asr_model?: string;
  asr_api_key?: string;
  asr_remove_key?: boolean;
  llm: NonNullable<SpeechFields["llm"]>;
  llm_url?: string;
  llm_model?: string;
  llm_api_key?: string;
  llm_remove_key?: boolean;
}

const fields = ["tts", "tts_url", "tts_model", "tts_voice", "tts_api_key", "asr", "asr_url", "asr_model", "asr_api_key", "llm", "llm_url", "llm_model", "llm_api_key"] as const;

export default function SpeechSettings() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const canEdit = atLeast(me?.role, "admin");
  const [form] = Form.useForm<Values>();
  const [saved, setSaved] = useState<Speech | null>(null);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const tts = Form.useWatch("tts", form);
  const asr = Form.useWatch("asr", form);
  const llm = Form.useWatch("llm", form);

  const fill = (s: Speech) => {
    setSaved(s);
    form.setFieldsValue({
      tts: s.tts,
      tts_url: s.tts_url,
      tts_model: s.tts_model,
      tts_voice: s.tts_voice,
      tts_api_key: "",
      tts_remove_key: false,
      asr: s.asr,
      asr_url: s.asr_url,
      asr_model: s.asr_model,
      asr_api_key: "",
      asr_remove_key: false,
      llm: s.llm,
      llm_url: s.llm_url,
      llm_model: s.llm_model,
      llm_api_key: "",
      llm_remove_key: false,
    });
  };
  useEffect(() => {
    unwrap(api.GET("/v1/speech"))
      .then(fill)
      .catch((e) => setError(problemMessage(e, t)))
      .finally(() => setLoading(false));
  }, []);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    const body: SpeechFields = { tts: v.tts, asr: v.asr, llm: v.llm };
    if (v.tts === "http" || v.tts === "nls") Object.assign(body, { tts_url: v.tts_url || undefined, tts_model: v.tts_model || undefined, tts_voice: v.tts_voice || undefined });
    if (v.asr === "http") Object.assign(body, { asr_url: v.asr_url || undefined, asr_model: v.asr_model || undefined });
    if (v.asr === "funasr") Object.assign(body, { asr_url: v.asr_url || undefined });
    if (v.asr === "nls") Object.assign(body, { asr_url: v.asr_url || undefined, asr_model: v.asr_model || undefined });
    if (v.llm === "openai") Object.assign(body, { llm_url: v.llm_url || undefined, llm_model: v.llm_model || undefined });
    // Keys: typed → replace; "remove" ticked → empty string; else omitted → kept.
    if (v.tts_api_key) body.tts_api_key = v.tts_api_key;
    else if (v.tts_remove_key) body.tts_api_key = "";
    if (v.asr_api_key) body.asr_api_key = v.asr_api_key;
    else if (v.asr_remove_key) body.asr_api_key = "";
    if (v.llm_api_key) body.llm_api_key = v.llm_api_key;
    else if (v.llm_remove_key) body.llm_api_key = "";
    try {
      fill(await unwrap(api.PUT("/v1/speech", { body })));
      message.success(t("speech.saved"));
    } catch (e) {
      setError(showProblem(form, e, fields, t));
    } finally {
      setBusy(false);
    }
  };

  const keyField = (name: "tts" | "asr" | "llm", has: boolean | undefined) => (
    <>
      <Form.Item
        name={`${name}_api_key`}
        label={
          <>
            {t("speech.apiKey")}
            {has && (
              <Tag color="blue" style={{ marginInlineStart: 8 }} data-testid={`${name}-key-stored`}>
                {t("speech.keyStored")}
              </Tag>
            )}
          </>
        }
        extra={has ? t("speech.keyKeep") : t("speech.keyHint")}
      >
        <Input.Password autoComplete="new-password" data-testid={`${name}-api-key`} />
      </Form.Item>
      {has && (
        <Form.Item name={`${name}_remove_key`} valuePropName="checked">
          <Checkbox>{t("speech.removeKey")}</Checkbox>
        </Form.Item>
      )}
    </>
  );

  return (
    <>
      <Typography.Paragraph type="secondary">{t("speech.intro")}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="speech-error" />}
      {!canEdit && <Alert type="info" showIcon title={t("speech.readOnly")} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} disabled={!canEdit || loading} initialValues={{ tts: "default", asr: "default", llm: "default" }}>
        <Row gutter={16}>
          <Col xs={24} lg={12}>
            <Card title={t("speech.ttsTitle")} loading={loading}>
              <Form.Item name="tts" label={t("speech.provider")}>
                <Radio.Group data-testid="speech-tts">
                  {(["default", "espeak", "http", "nls"] as const).map((x) => (
                    <Radio.Button key={x} value={x} data-testid={`tts-${x}`}>
                      {t(`speech.tts.${x}`)}
                    </Radio.Button>
                  ))}
                </Radio.Group>
              </Form.Item>
              <Typography.Paragraph type="secondary">{t(`speech.ttsHint.${tts ?? "default"}`)}</Typography.Paragraph>
              {tts === "http" && (
                <>
                  <Form.Item name="tts_url" label={t("speech.url")} extra={t("speech.ttsUrlHint")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input placeholder="https://speech.example.com" data-testid="tts-url" />
                  </Form.Item>
                  <Form.Item name="tts_model" label={t("speech.model")}>
                    <Input placeholder="tts-1" data-testid="tts-model" />
                  </Form.Item>
                  <Form.Item name="tts_voice" label={t("speech.voice")} extra={t("speech.voiceHint")}>
                    <Input data-testid="tts-voice" />
                  </Form.Item>
                  {keyField("tts", saved?.tts_has_key)}
                </>
              )}
              {tts === "nls" && (
                <>
                  <Form.Item name="tts_model" label={t("speech.nlsAppKey")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input data-testid="tts-model" />
                  </Form.Item>
                  <Form.Item name="tts_voice" label={t("speech.voice")} extra={t("speech.nlsVoiceHint")}>
                    <Input placeholder="zhitian_emo" data-testid="tts-voice" />
                  </Form.Item>
                  <Form.Item name="tts_url" label={t("speech.url")} extra={t("speech.nlsTtsUrlHint")}>
                    <Input placeholder="wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1" data-testid="tts-url" />
                  </Form.Item>
                  {keyField("tts", saved?.tts_has_key)}
                  <Typography.Paragraph type="secondary">{t("speech.nlsKeyHint")}</Typography.Paragraph>
                </>
              )}
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t("speech.asrTitle")} loading={loading}>
              <Form.Item name="asr" label={t("speech.provider")}>
                <Radio.Group data-testid="speech-asr">
                  {(["default", "dtmf", "pocketsphinx", "http", "funasr", "nls"] as const).map((x) => (
                    <Radio.Button key={x} value={x} data-testid={`asr-${x}`}>
                      {t(`speech.asr.${x}`)}
                    </Radio.Button>
                  ))}
                </Radio.Group>
              </Form.Item>
              <Typography.Paragraph type="secondary">{t(`speech.asrHint.${asr ?? "default"}`)}</Typography.Paragraph>
              {asr === "http" && (
                <>
                  <Form.Item name="asr_url" label={t("speech.url")} extra={t("speech.asrUrlHint")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input placeholder="https://speech.example.com" data-testid="asr-url" />
                  </Form.Item>
                  <Form.Item name="asr_model" label={t("speech.model")}>
                    <Input placeholder="whisper-1" data-testid="asr-model" />
                  </Form.Item>
                  {keyField("asr", saved?.asr_has_key)}
                </>
              )}
              {asr === "funasr" && (
                <>
                  <Form.Item name="asr_url" label={t("speech.url")} extra={t("speech.funasrUrlHint")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input placeholder="wss://asr.example.com:10095" data-testid="asr-url" />
                  </Form.Item>
                  {keyField("asr", saved?.asr_has_key)}
                </>
              )}
              {asr === "nls" && (
                <>
                  <Form.Item name="asr_model" label={t("speech.nlsAppKey")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input data-testid="asr-model" />
                  </Form.Item>
                  <Form.Item name="asr_url" label={t("speech.url")} extra={t("speech.nlsUrlHint")}>
                    <Input placeholder="wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1" data-testid="asr-url" />
                  </Form.Item>
                  {keyField("asr", saved?.asr_has_key)}
                  <Typography.Paragraph type="secondary">{t("speech.nlsKeyHint")}</Typography.Paragraph>
                </>
              )}
            </Card>
          </Col>
          <Col xs={24} lg={12} style={{ marginTop: 16 }}>
            <Card title={t("speech.llmTitle")} loading={loading}>
              <Form.Item name="llm" label={t("speech.provider")}>
                <Radio.Group data-testid="speech-llm">
                  {(["default", "off", "openai"] as const).map((x) => (
                    <Radio.Button key={x} value={x} data-testid={`llm-${x}`}>
                      {t(`speech.llm.${x}`)}
                    </Radio.Button>
                  ))}
                </Radio.Group>
              </Form.Item>
              <Typography.Paragraph type="secondary">{t(`speech.llmHint.${llm ?? "default"}`)}</Typography.Paragraph>
              {llm === "openai" && (
                <>
                  <Form.Item name="llm_url" label={t("speech.url")} extra={t("speech.llmUrlHint")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input placeholder="https://dashscope.aliyuncs.com/compatible-mode/v1" data-testid="llm-url" />
                  </Form.Item>
                  <Form.Item name="llm_model" label={t("speech.model")} extra={t("speech.llmModelHint")} rules={[{ required: true, message: t("errors.required") }]}>
                    <Input placeholder="qwen-plus" data-testid="llm-model" />
                  </Form.Item>
                  {keyField("llm", saved?.llm_has_key)}
                </>
              )}
            </Card>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" loading={busy} style={{ marginTop: 16 }} data-testid="speech-save">
          {t("common.save")}
        </Button>
        {saved?.updated_at && (
          <Typography.Text type="secondary" style={{ marginInlineStart: 16 }}>
            {t("speech.updated", { when: formatTime(saved.updated_at) })}
          </Typography.Text>
        )}
      </Form>
    </>
  );
}
