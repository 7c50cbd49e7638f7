package scripting

// BuiltinIntents are the intents every script understands, in Chinese and
// English, before the tenant adds its own.
var BuiltinIntents = []string{"affirm", "deny", "later", "busy", "human", "stop", "wrong_number", "complaint"}

// builtinExamples teach the classifier the built-in intents. Tenants add
// examples (to these or to their own intents) in the script's `intents`.
var builtinExamples = map[string][]string{
	"affirm": {
		"是", "是的", "是啊", "对", "对的", "对对对", "好", "好的", "好啊", "好呀", "可以", "可以的", "行", "行啊", "没问题",
		"嗯", "嗯嗯", "确认", "我确认", "同意", "没错", "当然", "当然可以", "是我", "愿意", "有兴趣", "感兴趣", "需要", "要的",
		"成", "没毛病", "来吧", "可以啊", "好的没问题", "对是我", "就这样", "收到",
		"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "that's right", "of course", "absolutely",
		"sounds good", "i agree", "confirm", "definitely", "i'm interested", "go ahead", "please do", "that works",
		"fine", "it's me", "speaking", "yes please", "alright", "sure thing", "i would like that",
	},
	"deny": {
		"不", "不是", "不是的", "不对", "不要", "不用", "不用了", "不需要", "不行", "不可以", "没有", "不感兴趣", "没兴趣",
		"算了", "不了", "拒绝", "不同意", "错了", "不想", "不买", "不考虑", "没需要", "取消", "不必了", "不好意思不需要",
		"no", "nope", "not interested", "no thanks", "no thank you", "i don't want it", "i don't need it", "wrong",
		"that's not right", "incorrect", "cancel", "not really", "i'm not interested", "i decline", "no way",
	},
	"later": {
		"晚点", "晚点再说", "以后再说", "改天", "改天吧", "明天吧", "明天再说", "回头再说", "过几天", "下次吧", "晚些时候",
		"等会儿", "稍后", "过会儿再打", "晚点打给我", "下午再打", "再打吧", "明天再打", "晚上再打", "过两天再打", "明天再联系", "考虑一下", "我再想想", "再说吧", "回头聊",
		"later", "call me later", "call back later", "maybe later", "another time", "call me tomorrow", "not now",
		"some other time", "let me think about it", "in a while", "next week", "try again later",
	},
	"busy": {
		"正在开会", "在开会", "我在开会", "不方便接听", "不方便", "现在不方便", "在开车", "正在开车", "我在开车", "我在忙",
		"正忙着", "忙", "很忙", "现在没空", "没空", "没时间", "在上班", "在工作", "手头有事", "现在不方便说话", "在外面不方便",
		"i'm busy", "busy right now", "i'm driving", "i am driving", "i'm in a meeting", "can't talk now",
		"bad time", "i'm at work", "i don't have time", "not a good time", "in the middle of something",
	},
	"human": {
		"转人工", "人工客服", "人工", "找真人", "我要跟人说", "你是机器人吗", "叫你们客服", "接人工", "转接客服", "真人",
		"找你们负责人", "让真人跟我说", "我要人工服务",
		"let me talk to a person", "human", "real person", "agent", "operator", "representative", "speak to someone",
		"talk to a human", "customer service", "are you a robot", "transfer me", "i want to speak to a person",
	},
	"stop": {
		"别再打了", "不要再打电话", "不要再打了", "别打了", "以后别打了", "不要给我打电话", "把我号码删了", "拉黑",
		"别再骚扰我", "不要再联系我", "别再打电话了", "再也别打了", "别给我打电话", "以后不要打",
		"stop calling me", "don't call me again", "do not call", "remove my number", "take me off your list",
		"never call again", "stop calling", "unsubscribe", "quit calling me", "don't call again", "put me on the do not call list",
	},
	"wrong_number": {
		"打错了", "你打错了", "不是我", "我不是", "没这个人", "查无此人", "你找错人了", "号码错了", "这不是他的号码",
		"我不认识这个人", "没有这个人", "找错人了",
		"wrong number", "you have the wrong number", "there's no one by that name", "that's not me", "i'm not him",
		"i'm not her", "never heard of them", "you've got the wrong person", "wrong person", "no one here by that name",
	},
	"complaint": {
		"投诉", "我要投诉", "服务太差", "太差了", "质量有问题", "坑人", "骗子", "你们骗人", "态度差", "太烂了",
		"东西坏了", "不满意", "很不满意", "我要退货", "东西有问题",
		"i want to complain", "complaint", "terrible service", "this is a scam", "the product is broken",
		"very disappointed", "not satisfied", "i want a refund", "file a complaint", "awful service",
	},
}

// phrases are the engine's own words for built-in behaviour.
var phrases = map[string]map[string]string{
	"zh-CN": {
		"pardon":  "抱歉,我没听清,您能再说一遍吗?",
		"giveup":  "抱歉打扰您了,再见。",
		"busy":    "好的,不打扰您了,我们稍后再联系您,再见。",
		"stop":    "好的,我们不会再打扰您,再见。",
		"failure": "抱歉,系统出了点问题,我们稍后再联系您,再见。",
	},
	"en": {
		"pardon":  "Sorry, I didn't catch that. Could you say it again?",
		"giveup":  "Sorry to have bothered you. Goodbye.",
		"busy":    "No problem, we'll call you back later. Goodbye.",
		"stop":    "Understood, we won't call you again. Goodbye.",
		"failure": "Sorry, something went wrong on our side. We'll call you back. Goodbye.",
	},
}

func phrase(lang, key string) string {
	if p, ok := phrases[lang]; ok {
		return p[key]
	}
	return phrases["zh-CN"][key]
}
