package scripting

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// monday is the clock of the simulated calls: Monday 23 November 2026, 10:00.
var monday = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestExampleScriptsThroughSimulatedConversations(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		contact Contact
		segment string
		says    []string
		states  string // the state after each turn, greeting first
		outcome string
		vars    string
		check   func(t *testing.T, turns []*Step, r *Result)
	}{
		{
			name:    "an order is confirmed after the price question",
			file:    "order_confirmation.js",
			contact: Contact{"name": "王先生", "item": "蓝牙耳机", "amount": 199, "vip": false, "city": "杭州"},
			says:    []string{"这个多少钱", "好的"},
			states:  "greeting price confirm",
			outcome: "confirmed",
			check: func(t *testing.T, turns []*Step, r *Result) {
				if turns[1].Say != "这单的金额是199元,确认发货吗?" {
					t.Errorf("price said %q", turns[1].Say)
				}
				if strings.Join(r.Tags, ",") != "converted" {
					t.Errorf("tags %v", r.Tags)
				}
			},
		},
		{
			name:    "a VIP hears the member price",
			file:    "order_confirmation.js",
			contact: Contact{"name": "李女士", "item": "扫地机器人", "amount": 1999, "vip": true, "city": "上海"},
			says:    []string{"价格多少", "可以"},
			states:  "greeting vip_price confirm",
			outcome: "confirmed",
			check: func(t *testing.T, turns []*Step, r *Result) {
				if !strings.Contains(turns[1].Say, "1799元") {
					t.Errorf("vip price said %q", turns[1].Say)
				}
			},
		},
		{
			name:    "an unhappy customer cancels",
			file:    "order_confirmation.js",
			contact: Contact{"name": "赵先生", "item": "耳机", "amount": 99},
			says:    []string{"不需要了", "帮我取消吧"},
			states:  "greeting objection cancelled",
			outcome: "cancelled",
			vars:    `{"objections":1}`,
		},
		{
			name:    "a customer who wants a call tomorrow gets a callback at that time",
			file:    "order_confirmation.js",
			contact: Contact{"name": "钱女士", "item": "耳机", "amount": 99},
			says:    []string{"明天下午三点再打吧"},
			states:  "greeting callback",
			outcome: "callback",
			check: func(t *testing.T, turns []*Step, r *Result) {
				if r.CallbackIn != "2h" || r.CallbackAt != "2026-11-24T15:00:00Z" {
					t.Errorf("callback %q at %q", r.CallbackIn, r.CallbackAt)
				}
			},
		},
		{
			name:    "a debtor promises a date",
			file:    "payment_reminder.js",
			contact: Contact{"name": "张先生", "card": "6222021234567890", "due": 3560.5, "overdueDays": 12},
			says:    []string{"我下周三还"},
			states:  "reminder promised",
			outcome: "promised_to_pay",
			vars:    `{"promiseDate":"2026-12-02"}`,
			check: func(t *testing.T, turns []*Step, r *Result) {
				if !strings.Contains(turns[0].Say, "尾号7890") || !strings.Contains(turns[0].Say, "3560.5元") {
					t.Errorf("reminder said %q", turns[0].Say)
				}
				// What the call captured comes with its result: the slots it
				// heard, the last intent, and the vars the script writes back
				// to the contact (saveToContact).
				if r.Slots["date"] != "2026-12-02" || r.LastIntent == "" || r.LastIntent != turns[1].Intent || string(r.Contact["promiseDate"]) != `"2026-12-02"` || len(r.Contact) != 1 {
					t.Errorf("captured slots %v, last intent %q, contact fields %s", r.Slots, r.LastIntent, r.Contact)
				}
			},
		},
		{
			name:    "a debtor who agrees is asked for a date",
			file:    "payment_reminder.js",
			contact: Contact{"name": "孙女士", "card": "6222000011112222", "due": 800, "overdueDays": 3},
			says:    []string{"好的", "后天吧"},
			states:  "reminder ask_date promised",
			outcome: "promised_to_pay",
			vars:    `{"promiseDate":"2026-11-25"}`,
		},
		{
			name:    "a debtor in hardship goes to a person",
			file:    "payment_reminder.js",
			contact: Contact{"name": "周先生", "card": "6222", "due": 500, "overdueDays": 30},
			says:    []string{"我现在手头紧,还不上"},
			states:  "reminder hardship",
			outcome: "transferred",
		},
		{
			name:    "a debtor who already paid ends the call",
			file:    "payment_reminder.js",
			contact: Contact{"name": "吴先生", "card": "6222", "due": 500, "overdueDays": 1},
			says:    []string{"我昨天已经还了"},
			states:  "reminder already_paid",
			outcome: "already_paid",
		},
		{
			name:    "a VIP lead books a Saturday test drive",
			file:    "test_drive.js",
			contact: Contact{"name": "刘女士", "model": "Model Z", "store": "滨江路88号"},
			segment: "vip",
			says:    []string{"可以啊", "周六上午十点吧"},
			states:  "invite ask_time booked",
			outcome: "test_drive_booked",
			vars:    `{"appointment":"2026-11-28T10:00:00Z"}`,
			check: func(t *testing.T, turns []*Step, r *Result) {
				if !strings.Contains(turns[0].Say, "老车主") {
					t.Errorf("vip invite said %q", turns[0].Say)
				}
				if !strings.Contains(turns[2].Say, "2026-11-28 10:00") {
					t.Errorf("booking said %q", turns[2].Say)
				}
			},
		},
		{
			name:    "a lead asks where the store is and then books",
			file:    "test_drive.js",
			contact: Contact{"name": "陈先生", "model": "Model Z", "store": "滨江路88号"},
			says:    []string{"你们店在哪", "明天下午两点"},
			states:  "invite store_info booked",
			outcome: "test_drive_booked",
			check: func(t *testing.T, turns []*Step, r *Result) {
				if !strings.Contains(turns[0].Say, "关注了Model Z") || !strings.Contains(turns[1].Say, "滨江路88号") {
					t.Errorf("said %q / %q", turns[0].Say, turns[1].Say)
				}
			},
		},
		{
			name:    "a lead declines",
			file:    "test_drive.js",
			contact: Contact{"name": "林先生", "model": "Model Z"},
			says:    []string{"不感兴趣"},
			states:  "invite decline",
			outcome: "declined",
		},
		{
			name:    "a happy customer rates 5 and recommends",
			file:    "satisfaction_survey.js",
			contact: Contact{"name": "Alice"},
			says:    []string{"sure", "five", "yes absolutely"},
			states:  "intro rate high thanks",
			outcome: "completed",
			vars:    `{"score":5,"recommend":true}`,
			check: func(t *testing.T, turns []*Step, r *Result) {
				if turns[3].Say != "Thanks for rating us 5 out of 5. Have a great day!" {
					t.Errorf("thanks said %q", turns[3].Say)
				}
			},
		},
		{
			name:    "an unhappy customer leaves a comment",
			file:    "satisfaction_survey.js",
			contact: Contact{"name": "Bob"},
			says:    []string{"yes", "I'd give it a 2", "the delivery was late"},
			states:  "intro rate low thanks_low",
			outcome: "completed",
			vars:    `{"score":2,"comment":"the delivery was late"}`,
		},
		{
			name:    "a survey answer that is not a number is asked again",
			file:    "satisfaction_survey.js",
			contact: Contact{"name": "Carol"},
			says:    []string{"ok", "hmm the weather", "4"},
			states:  "intro rate rate high",
			check: func(t *testing.T, turns []*Step, r *Result) {
				if turns[2].Via != "fallback" || turns[2].Say != "Sorry, could you give me a number from 1 to 5?" {
					t.Errorf("turn 2 %+v", turns[2])
				}
			},
		},
		{
			name:    "a busy customer is called back",
			file:    "satisfaction_survey.js",
			contact: Contact{"name": "Dan"},
			says:    []string{"sorry I'm driving"},
			states:  "intro intro",
			outcome: "busy_callback",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("examples", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			s, ds := Compile(tc.file, string(src))
			if s == nil || len(ds) > 0 {
				t.Fatalf("the example should compile cleanly: %v", ds)
			}
			sess, err := s.NewSession(tc.contact, SessionOptions{Segment: tc.segment, Now: func() time.Time { return monday }})
			if err != nil {
				t.Fatal(err)
			}
			first, _ := sess.Start()
			turns := []*Step{first}
			states := []string{first.State}
			for _, say := range tc.says {
				turn, err := sess.Turn(say)
				if err != nil {
					t.Fatalf("turn %q: %v", say, err)
				}
				if turn.Error != nil {
					t.Fatalf("turn %q: script error %v", say, turn.Error)
				}
				turns = append(turns, turn)
				states = append(states, turn.State)
			}
			if got := strings.Join(states, " "); got != tc.states {
				b, _ := json.Marshal(turns)
				t.Fatalf("states %q, want %q\n%s", got, tc.states, b)
			}
			r := sess.Result()
			switch {
			case tc.outcome == "" && r != nil:
				t.Errorf("the call should go on, but ended %+v", r)
			case tc.outcome != "" && (r == nil || r.Outcome != tc.outcome):
				t.Errorf("outcome %+v, want %s", r, tc.outcome)
			}
			if tc.vars != "" && sess.Vars() != tc.vars {
				t.Errorf("vars %s, want %s", sess.Vars(), tc.vars)
			}
			if tc.check != nil {
				tc.check(t, turns, r)
			}
		})
	}
}
