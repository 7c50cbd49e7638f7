// A modal around a form that saves to the API: busy while it saves, the
// API's errors next to the fields they concern and the rest above the form.
import { Modal, type FormInstance, type ModalProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { showProblem } from "./forms";
import { ErrorAlert } from "./ListPage";

export interface FormSubmit<V> {
  /** Give to the form's onFinish. */
  submit: (v: V) => Promise<void>;
  busy: boolean;
  error: string | null;
  setError: (e: string | null) => void;
}

/**
 * Runs save with the form's values; when it throws, the error goes next to
 * the fields named in fields, and what concerns none of them to error.
 */
export function useFormSubmit<V>(form: FormInstance<V>, fields: readonly string[], save: (v: V) => Promise<unknown>): FormSubmit<V> {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (v: V) => {
    setBusy(true);
    setError(null);
    try {
      await save(v);
    } catch (e) {
      setError(showProblem(form, e, fields, t));
    } finally {
      setBusy(false);
    }
  };
  return { submit, busy, error, setError };
}

type FormModalProps = Omit<ModalProps, "onOk" | "confirmLoading" | "cancelText"> & {
  form: FormInstance;
  submitting: Pick<FormSubmit<never>, "busy" | "error">;
  /** data-testid of the OK button. */
  okTestId: string;
  /** data-testid of the error above the form. */
  errorTestId?: string;
};

/** OK submits the form; the error of the last submit is shown above it. */
export function FormModal({ form, submitting, okTestId, errorTestId, okButtonProps, children, ...modal }: FormModalProps) {
  const { t } = useTranslation();
  return (
    <Modal
      {...modal}
      cancelText={t("common.cancel")}
      confirmLoading={submitting.busy}
      onOk={() => form.submit()}
      okButtonProps={{ ...okButtonProps, "data-testid": okTestId } as ModalProps["okButtonProps"]}
    >
      <ErrorAlert error={submitting.error} testId={errorTestId} />
      {children}
    </Modal>
  );
}
