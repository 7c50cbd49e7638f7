/*
Package scripting runs the conversations tenants write: dialog scripts in
JavaScript, understood turn by turn, in a sandbox that one tenant's mistakes
cannot break out of.

A dialog script is a module whose default export declares the dialog as
data plus small functions:

	export default {
	  start: "greeting",
	  lang: "zh-CN",
	  intents: { price: ["多少钱", "价格", "how much"] },
	  fallback: { say: "抱歉,我没听清,您能再说一遍吗?", retries: 2, end: "no_understanding" },
	  states: {
	    greeting: {
	      say: c => `您好${c.contact.name},想跟您确认一下订单。`,
	      emotion: "happy",
	      on: { affirm: "confirm", later: "callback",
	            price: c => (c.contact.vip ? "vip_price" : "price") },
	    },
	    confirm:  { say: "好的,已为您确认。", end: "confirmed", tags: ["converted"] },
	    callback: { say: "好的,我们稍后联系您。", end: "callback", callbackIn: "2h" },
	    agent:    { say: "正在为您转接人工客服。", transfer: "agent" },
	  },
	};

Because the dialog is data, the engine can check it before anyone is
called. [Compile] parses and validates a script and returns a [*Script] and
[Diagnostic] values with line and column: syntax errors, a missing start,
references to unknown states, states with no way out, and (as warnings)
states nobody can reach. [Script.Graph] draws the dialog as states and
edges, and [Script.SensitiveSays] is the check a version passes before it
is published.

# A call

A call is a [Session]. [Script.NewSession] takes the contact and the
call's options; [Session.Start] returns turn 0, what to say first; every
[Session.Turn] takes what the callee said and returns a [Step]: the intent,
its confidence and runner-up, the slots, the sentiment, the next state and
what to say. When a turn ends the call, [Session.Result] says how: the
outcome, tags, a callback, a transfer, whether the number goes on the
do-not-call list, and which sensitive words were heard or said.

	s, diags := scripting.Compile("order.js", source)
	if s == nil {
		return diags // errors with line:column
	}
	call, _ := s.NewSession(scripting.Contact{"name": "王先生"}, scripting.SessionOptions{})
	first, _ := call.Start()      // first.Say is the greeting
	turn, _ := call.Turn("是的")   // turn.Intent == "affirm", turn.State == "confirm"
	if turn.Done {
		result := call.Result()   // result.Outcome == "confirmed"
	}

`say` is a string, rendered from ${c.path} placeholders, or a function of
the context c. A state's `emotion` sets the voice it speaks in; a state
without one answers an angry or negative callee in the calm apologetic
voice (Step.Emotion says which), unless the script sets `adaptVoice:
false`. `on` maps an intent to a state name or to a function
returning one; `default` catches every other intent, and no_match too, so
a state can take free text; without an entry or a default the turn goes to
`fallback`, which asks again up to `retries` times and then ends the call
with its `end` outcome. The context is c.contact (a frozen copy of the
contact), c.vars (the call's own variables, JSON, kept between turns and
capped at 16 KiB), c.text, c.intent, c.confidence, c.slots, c.sentiment
({score, label}), c.turn and c.segment.

What a call captured is kept with its result: c.vars, every slot it heard
([Result.Slots]), the last intent, and a callback time the callee named
([Result.CallbackAt], in the callee's time zone: [SessionOptions.TimeZone]).
A script's top-level `saveToContact: ["promiseDate"]` names the vars a call
writes back to its contact's attributes when it ends, where the next
campaign's script and segmentation rules read them.

A state's `followUp: "payment_link"` (or `{channel: "sms", template:
"payment_link"}`) has the call send the tenant's SMS template of that name
once it ends, however it ends after passing through the state: the turn
that entered it carries [Step.FollowUp]. The message is sent like a
campaign's follow-ups, within the tenant's compliance, its template's
variables filled from c.vars, then the contact.

A state's `http: { endpoint, path, method, body, timeout, as, failed }`
asks one of the tenant's registered endpoints before the state speaks
(see [Request]): a session opened with [SessionOptions.HTTP] returns the
step with [Step.Request] set and waits; the caller makes the request and
hands its [Response] to [Session.Respond]. The answer is c.http[as]
({ok, status, data, error}); a failed request goes to the state named by
failed. [Step.Requests] records each request and what became of it.

# Understanding

[Classify] and [Classifier] recognise the built-in intents ([BuiltinIntents]:
affirm, deny, later, busy, human, stop, wrong_number, complaint) in Chinese
and English, plus the tenant's own from the script's `intents`. An utterance
is normalised first (recogniser homophones and regional spellings to one
form, fillers dropped), cut into clauses and tagged with concept classes
(synonyms) under the scope of any negation, double negation included
("不是不想", "I didn't say no"). The built-in intents come from a logistic
regression over characters, words, concepts, cue phrases and slots whose
weights ship with the package (nlu_weights.json); a tenant's intents match
its examples by words and concepts. Below [NoMatchThreshold] the intent is
no_match. [ParseSlots] finds dates, times ("明天下午三点", "tomorrow at
3pm"), numbers and amounts, and [AnalyzeSentiment] scores the mood from -1
to 1 with a label: angry, negative, neutral or positive. The evaluation set
in testdata/nlu and `outcall bench nlu` measure all three.

Some behaviour is built in, and each piece can be turned off in
[SessionOptions]: busy ends the call politely with outcome busy_callback
and a callback; stop ends it with outcome do_not_call and
[Result.DoNotCall] set; two angry turns in a row, or asking for a person,
go to the script's transfer state when it has one.

# A language model in the loop

A state may declare `llm` (see [Ask]): when the built-in understanding is
unsure (no_match, or below [LLMThreshold]) and no built-in behaviour
decides the turn, a session opened with [SessionOptions.AskModel] returns
the turn's step with [Step.Ask] set and waits; the caller asks the
tenant's model ([Model]; package llm speaks to OpenAI-compatible APIs) and
hands its [Answer] to [Session.Resolve]. `classify` lets the model pick one
of the state's own intents; `reply` lets it pick one or phrase a short
answer within the state's purpose. An intent outside the state's is
ignored and a reply is spoken only when it passes the guardrails
(sensitive words, the length cap, no links, secrets or numbers nobody
said); on any failure the turn goes on as without a model. [Step.Model]
records what happened.

# The sandbox

Each script version is compiled once (cached by [Version], a hash of the
source) and every call runs it in a fresh sobek runtime of its own, so
changes a script makes to built-in prototypes never reach another call.
Each turn has a CPU budget (50 ms by default, the tenant's plan's on calls,
at most [MaxBudget], enforced with Interrupt), the call stack is limited,
and there is no require, no timers, no files, no network and no Go values.
A regular expression that needs the backtracking engine (lookaround,
backreferences) gives up after [MaxBudget], so one that backtracks
catastrophically ends its turn with a budget error at its line instead of
holding the host; a batch of segmentation calls stops after Limits.Batch. Built-ins that can allocate without bound from a
tiny input (String.prototype.repeat, padStart, padEnd, Array(n), fill,
join, Array.from) are replaced with bounded versions, typed arrays are
gone, inputs are capped, and console.log is captured into the turn's log.
See [Limits].

sobek has no memory limit, so the last layer is a process boundary: a
[HostPool] runs sessions in script-host processes (`outcall script-host`,
which calls [ServeHost]) that each apply an OS memory limit to themselves.
A script that allocates past it kills only its host; the pool replaces the
host, and every call that was running there ends with an error of kind
"host" and its script's fallback outcome. A script that is to blame (the
only one running, the one the host never answered, or one present at two
deaths) is quarantined: the pool refuses it with a [QuarantinedError] until
it is changed, and so does every pool started after it when they share a
[QuarantineStore] (the service's: [QuarantineTable]). The service runs two pools, one for live calls and one for
the API's checks, simulations and previews, so no API request can end a
call; a tenant's calls stay on a shard of the calls pool's hosts
([Caller]), so a host's death touches few tenants. Hosts inherit none of
the service's environment beyond what a process needs to run.
[RemoteSession] mirrors [Session] over the pipe.

# Segmentation

A segmentation script exports `segment(contact)` returning a segment name
or null. [CompileSegmenter] compiles it once; [Segmenter.Segment] runs it
for one contact in a pooled runtime, fast enough for whole contact lists.
*/
package scripting
