package calleesim

import "strconv"

// amdGreeting is one way of picking up the phone.
type amdGreeting struct {
	kind  Kind
	voice string
	say   string
}

// The greetings of AMDPersonas. People answer short or with a whole
// sentence (where they are, who they are, what it is about), in Mandarin
// and English; machines are mailboxes (some that name nothing and only
// beep), carriers' announcements and AI call assistants.
var amdGreetings = []amdGreeting{
	// People, Mandarin, short.
	{KindHuman, "cmn", "喂?"}, {KindHuman, "cmn", "喂,你好"}, {KindHuman, "cmn", "喂,哪位?"}, {KindHuman, "cmn", "你好"},
	{KindHuman, "cmn", "嗯,你好"}, {KindHuman, "cmn", "喂喂?"}, {KindHuman, "cmn", "哎,你好"}, {KindHuman, "cmn", "喂,说"},
	{KindHuman, "cmn", "在,你说"}, {KindHuman, "cmn", "喂,您好,哪位?"}, {KindHuman, "cmn", "喂,咋了?"}, {KindHuman, "cmn", "喂,干啥?"},
	{KindHuman, "cmn", "喂?哪个?"}, {KindHuman, "cmn", "喂,讲"}, {KindHuman, "cmn", "嗯?"}, {KindHuman, "cmn", "哈喽?"},
	{KindHuman, "cmn", "诶,你好你好"}, {KindHuman, "cmn", "喂,是我"},
	// People, Mandarin, a whole sentence.
	{KindHuman, "cmn", "喂,我现在在外面开车,你是哪里啊,有什么事吗?"},
	{KindHuman, "cmn", "喂,你好,我这边信号不太好,你大声一点,是哪位啊?"},
	{KindHuman, "cmn", "喂?喂?听得到吗?喂?"},
	{KindHuman, "cmn", "你好,我是王芳,请问你找谁?"},
	{KindHuman, "cmn", "喂,刚刚在洗澡没听到,你是哪个单位的?"},
	{KindHuman, "cmn", "喂,我在上班呢,有什么事快点说吧"},
	{KindHuman, "cmn", "哎你好,我正在超市排队结账,有点吵,你说吧"},
	{KindHuman, "cmn", "喂,你好,我是李先生,你是哪里?"},
	{KindHuman, "cmn", "喂,这么早打电话,什么事啊?"},
	{KindHuman, "cmn", "嗯,你好,请讲"},
	{KindHuman, "cmn", "喂,哪位啊,我这会儿在地铁上"},
	{KindHuman, "cmn", "喂,你好,我是他爱人,他在洗澡,你有什么事跟我说吧"},
	{KindHuman, "cmn", "喂,我刚下飞机,手机快没电了,你是谁啊?"},
	{KindHuman, "cmn", "你好,这里是张家,请问找哪位?"},
	{KindHuman, "cmn", "喂,老师好,是孩子的事吗?"},
	{KindHuman, "cmn", "喂,你好,快递是吧,放门口就行"},
	{KindHuman, "cmn", "喂,我在开会,长话短说,你是哪里?"},
	// People, English, short.
	{KindHuman, "en", "hello?"}, {KindHuman, "en", "hi"}, {KindHuman, "en", "yeah?"}, {KindHuman, "en", "hello, who is this?"},
	{KindHuman, "en", "yes, hello"}, {KindHuman, "en", "this is Mike"}, {KindHuman, "en", "speaking"}, {KindHuman, "en", "hey"},
	{KindHuman, "en", "hello, Lisa here"}, {KindHuman, "en", "good morning"}, {KindHuman, "en", "yes?"},
	// People, English, a whole sentence.
	{KindHuman, "en", "Hello, this is David Miller speaking, who's calling please?"},
	{KindHuman, "en", "Hi, yeah, this is Sarah. Sorry, I'm just walking into a meeting. What's this about?"},
	{KindHuman, "en", "Hello? Hello? Can you hear me? The line is really bad."},
	{KindHuman, "en", "Good afternoon, Jennifer Lopez speaking, how can I help you?"},
	{KindHuman, "en", "Yeah, hi, I'm driving right now so make it quick, who is this?"},
	{KindHuman, "en", "Hello, Johnson residence, this is Mary, who's calling?"},
	{KindHuman, "en", "Hi, it's Tom. I saw you called earlier. What's it about?"},
	{KindHuman, "en", "Hey, sorry, I was in the shower. Who is it?"},
	{KindHuman, "en", "Hello, this is Doctor Patel, Patel speaking."},
	{KindHuman, "en", "Uh, hello? Yes, this is Ken, go ahead."},
	// People who say nothing.
	{KindHuman, "", ""}, {KindHuman, "", ""},

	// Mailboxes, Mandarin.
	{KindVoicemail, "cmn", "您好,您拨打的用户暂时无法接听,请在提示音后留言,留言完毕请挂机。"},
	{KindVoicemail, "cmn", "你好,我是张伟,现在不方便接听电话,请在嘀声后留言,我会尽快回复。"},
	{KindVoicemail, "cmn", "您好,欢迎使用语音信箱,机主暂时无法接听,请留言。"},
	{KindVoicemail, "cmn", "你好,我是小陈,有事请留言,谢谢。"},
	{KindVoicemail, "cmn", "您好,这里是李明的语音信箱,请在提示音后说出您的姓名和电话。"},
	{KindVoicemail, "cmn", "您的电话已转入语音信箱,请在嘀声后开始录音。"},
	{KindVoicemail, "cmn", "您好,我现在无法接听您的电话,请留下您的姓名和电话号码,我会尽快给您回电。"},
	{KindVoicemail, "cmn", "您好,欢迎致电,请在提示音后留言。"},
	{KindVoicemail, "cmn", "喂,我是阿强。"}, // names nothing: only its beep tells
	// Carriers' announcements, Mandarin.
	{KindAnnouncement, "cmn", "您好,您拨打的电话已关机。"},
	{KindAnnouncement, "cmn", "您拨打的号码是空号,请查证后再拨。"},
	{KindAnnouncement, "cmn", "您拨打的电话暂时无法接通,请稍后再拨。"},
	{KindAnnouncement, "cmn", "对不起,您拨打的用户不在服务区。"},
	{KindAnnouncement, "cmn", "您拨打的电话已停机。"},
	{KindAnnouncement, "cmn", "您拨打的用户正在通话中,请稍后再拨。"},
	{KindAnnouncement, "cmn", "对不起,您所拨打的号码有误,请核对后再拨。"},
	{KindAnnouncement, "cmn", "您好,您呼叫的用户暂时无法接通,请稍后再拨。"},
	{KindAnnouncement, "cmn", "您拨打的电话已暂停服务。"},
	{KindAnnouncement, "cmn", "对不起,您拨打的电话呼叫受限。"},
	{KindAnnouncement, "cmn", "您好,您拨打的电话无人接听,请稍后再拨。"},
	{KindAnnouncement, "cmn", "您拨打的电话正忙,请稍后再拨。"},
	// AI call assistants, Mandarin.
	{KindScreener, "cmn", "您好,我是机主的智能助理,他现在不方便接听,请问您有什么事?"},
	{KindScreener, "cmn", "你好,我是小艺,机主的通话助手,请说出您的来意。"},
	{KindScreener, "cmn", "您好,机主正在忙,我是他的AI助理,有什么可以帮您转达的吗?"},
	{KindScreener, "cmn", "你好,这里是来电助手,请简单说明来意,我会转告机主。"},
	{KindScreener, "cmn", "您好,我是代接助理,请问您是哪里,有什么事?"},
	{KindScreener, "cmn", "你好,我是华为小艺,机主现在可能不方便,我先帮您记录一下。"},
	// Mailboxes, English.
	{KindVoicemail, "en", "Hi, this is Tom. Leave a message after the tone."},
	{KindVoicemail, "en", "Hi, you have reached Tom Baker. I can't take your call right now, please leave a message after the tone."},
	{KindVoicemail, "en", "The person you are calling is not available. At the tone, please record your message."},
	{KindVoicemail, "en", "Hey, it's Jess! You know what to do."}, // only its beep tells
	{KindVoicemail, "en", "Hello, you've reached the Smith family. We're not home right now, leave us a message."},
	{KindVoicemail, "en", "Your call has been forwarded to an automated voice messaging system. The person you called is not available."},
	{KindVoicemail, "en", "Please leave your name, number and a brief message after the beep."},
	{KindVoicemail, "en", "Sorry I missed your call. Please leave a message and I will get back to you."},
	{KindVoicemail, "en", "This is Doctor Chen's office. We are closed right now. Please call back during business hours or leave a message."},
	{KindVoicemail, "en", "Mike here."}, // only its beep tells
	{KindVoicemail, "en", "Hi! You've reached Anna's phone. I'm away, leave a message."},
	{KindVoicemail, "en", "This mailbox is full and cannot accept any messages."},
	// Carriers' announcements, English.
	{KindAnnouncement, "en", "We're sorry, the number you have dialed is not in service. Please check the number and try again."},
	{KindAnnouncement, "en", "The wireless customer you are calling is not available. Please try your call again later."},
	{KindAnnouncement, "en", "The subscriber you have dialed cannot be reached at the moment."},
	{KindAnnouncement, "en", "Your call cannot be completed as dialed."},
	{KindAnnouncement, "en", "The number you have called is switched off."},
	// Call screening, English.
	{KindScreener, "en", "Hi, the person you're calling is using a screening service from Google, and will get a copy of this conversation. Go ahead and say your name and why you're calling."},
	{KindScreener, "en", "Hi, I'm the call assistant for this number. Please state your name and the reason for your call."},
	{KindScreener, "en", "Hello, this call is being screened by an AI assistant. What are you calling about?"},
	{KindScreener, "en", "Hi, if you record your name and reason for calling, I'll see if this person is available."},
	{KindScreener, "en", "Hello, I'm the virtual assistant of the person you're calling. How can I help you?"},
}

// AMDPersonas are callees for measuring answering-machine detection, one
// per greeting above, at numbers from first on (first, first+1, …). Each
// persona waits for holdMS after its greeting (a mailbox after its beep).
func AMDPersonas(first, holdMS int) []Persona {
	out := make([]Persona, 0, len(amdGreetings))
	for i, g := range amdGreetings {
		out = append(out, Persona{Name: "amd-" + string(g.kind) + "-" + strconv.Itoa(i+1), Numbers: []string{strconv.Itoa(first + i)},
			Kind: g.kind, Voice: g.voice, Greeting: g.say, HoldMS: holdMS})
	}
	return out
}
