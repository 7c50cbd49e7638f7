package scripting

import (
	"encoding/json"
	"testing"
)

func TestRedactSecretsHidesCodesPasswordsAndCardNumbers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"是的,验证码是1234", "是的,验证码是[redacted]"},
		{"我的验证码是 4 8 2 9 1 6", "我的验证码是 [redacted]"},
		{"验证码:六七八九一二,好的", "验证码:[redacted],好的"},
		{"密码是abc12345", "密码是[redacted]"},
		{"卡号是6222 0212 3456 7890", "卡号是[redacted]"},
		{"my password is hunter2, ok", "my password is [redacted], ok"},
		{"the code is 123-456.", "the code is [redacted]."},
		{"My PIN is 4321", "My PIN is [redacted]"},
		{"card 4111-1111-1111-1111 please", "card [redacted] please"},
		{"我的卡4111111111111111", "我的卡[redacted]"},
		{"身份证号码是110101199003074512", "身份证号码是[redacted]"},
		// Nothing secret: left as said.
		{"我明天下午三点有空", "我明天下午三点有空"},
		{"订单号12345678", "订单号12345678"},
		{"打13812341234找我", "打13812341234找我"},
		{"4111111111111112 is not a card", "4111111111111112 is not a card"},
		{"the passcode is ok", "the passcode is ok"},
		{"验证码收到了", "验证码收到了"},
	} {
		got, n := RedactSecrets(tc.in)
		if got != tc.want {
			t.Errorf("RedactSecrets(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if (n > 0) != (got != tc.in) {
			t.Errorf("RedactSecrets(%q) counted %d", tc.in, n)
		}
	}
}

func TestRedactJSONHidesSecretsInEveryString(t *testing.T) {
	in := json.RawMessage(`{"promiseDate":"2026-12-02","note":"验证码是1234","cards":["4111 1111 1111 1111",7],"n":3}`)
	out, n := RedactJSON(in)
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if n != 2 || got["note"] != "验证码是"+Redacted || got["cards"].([]any)[0] != Redacted || got["promiseDate"] != "2026-12-02" || got["n"] != 3.0 {
		t.Errorf("RedactJSON = %s (%d)", out, n)
	}
	if same, n := RedactJSON(json.RawMessage(`{"a":"b"}`)); string(same) != `{"a":"b"}` || n != 0 {
		t.Errorf("a value without secrets changed: %s", same)
	}
}
