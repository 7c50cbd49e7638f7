package scripting

// The lexicon the classifier reads utterances with. Speech recognisers and
// callees say the same thing many ways: homophones (事的 for 是的, 别在打 for
// 别再打), regional words that recognisers write in Mandarin characters
// (要得, 中嘞, 莫得, 冇, 唔该), fillers (嗯, 那个, 就是说, um), and synonyms
// (还清 and 结清, 丰巢 and 快递柜). Spelling variants are rewritten to one
// form first; then words are tagged with concepts, so that "上礼拜就还清了"
// and "已经还了" share PAY and DONE although they share few characters. The
// concepts feed both the built-in intents' model and the similarity with a
// tenant's examples, which is how a tenant intent taught with five examples
// recognises a sixth way of saying it.

// zhRewrites fixes recogniser homophones and regional spellings inside a
// Chinese utterance. Longer forms are tried first.
var zhRewrites = []string{
	// Homophones and near-homophones recognisers produce.
	"事的", "是的", "在说吧", "再说吧", "试的", "是的", "四的", "是的", "是滴", "是的", "是哒", "是的", "好滴", "好的", "好得好得", "好的好的",
	"队的", "对的", "可一", "可以", "没文题", "没问题", "木有", "没有", "却认", "确认", "系呀", "是呀", "係", "是",
	"人攻", "人工", "人公", "人工", "任工", "人工", "客副", "客服", "经里", "经理",
	"投素", "投诉", "头诉", "投诉", "投述", "投诉", "偷诉", "投诉", "打措", "打错", "大错了", "打错了", "早错人", "找错人",
	"开汇", "开会", "再开会", "在开会", "再开车", "在开车", "再忙", "在忙", "再上班", "在上班", "再上课", "在上课",
	"别在", "别再", "不要在打", "不要再打", "在也", "再也", "再大了", "再打了", "骚饶", "骚扰",
	"晚点在", "晚点再", "明天在打", "明天再打", "过会在", "过会再", "以后在说", "以后再说", "等会在", "等会再", "再达", "再打",
	"不须要", "不需要", "部需要", "不需要",
	"以经", "已经", "首富", "首付", "式听", "试听", "试停", "试听", "是驾", "试驾", "试架", "试驾", "落地架", "落地价", "月工", "月供",
	"学肥", "学费", "易站", "驿站", "意站", "驿站", "丰朝", "丰巢", "蜂巢", "丰巢", "花被", "花呗", "物留", "物流", "帐单", "账单",
	"还咗", "还了", "俾咗", "给了", "尺马", "尺码", "快地", "快递", "二手扯", "二手车",
	// Regional words, as recognisers write them.
	"冇呢个人", "没这个人", "呢个", "这个", "冇", "没", "唔该", "谢谢", "唔使", "不用", "唔好", "别", "唔要", "不要", "唔", "不",
	"莫得", "没有", "莫再", "别再", "勿要", "不要", "要不得", "不行", "不得行", "不行", "甭介", "不用", "甭了", "不用了", "甭", "别",
	"嗯呐", "嗯", "嗯哪", "嗯", "得嘞", "好的", "成嘞", "好的", "好嘞", "好的", "中嘞", "好的", "对头", "对", "要得", "好的", "能成", "可以",
	"巴适", "舒服", "得劲", "舒服", "嫽", "好", "晓得", "知道", "啥子", "什么", "嘎哈", "干什么", "咋整", "怎么办", "忒", "太",
	"明儿个", "明天", "明儿", "明天", "后儿", "后天", "礼拜天", "周日", "礼拜日", "周日", "星期天", "周日", "星期日", "周日", "礼拜", "周", "星期", "周",
	"迟点", "晚点", "等阵", "等会", "等一下", "等会", "一会儿", "一会", "过会儿", "过会", "等会儿", "等会", "讲", "说",
	"没得说", "没得说", "没得", "没有", "不咋地", "不怎么样", "不咋样", "不怎么样", "咋回事", "怎么回事", "咋", "怎么", "妥妥的", "没问题", "妥了", "好了",
}

// zhClauses rewrites a whole clause (what lies between punctuation), for
// words that mean something else inside longer text: 中 is "OK" in Henan
// but also the 中 of 中午.
var zhClauses = map[string]string{
	"中": "好", "中中": "好", "中啊": "好", "中中中": "好", "不中": "不行", "不中不中": "不行", "中不中": "行不行",
	"成": "好", "成成": "好", "好": "好", "整吧": "行", "安排吧": "行", "安排": "行", "必须的": "肯定", "那必须的": "肯定",
	"嗯嗯": "嗯", "嗯嗯嗯": "嗯", "行行行": "行", "好好好": "好", "对对对": "对", "对对对对": "对", "是是是": "是",
}

// zhFillers carry no meaning at the start of a clause; an utterance that is
// nothing but fillers keeps them.
var zhFillers = []string{"就是说", "那个那个", "那个", "这个这个", "就是", "然后", "呃", "额", "嗯", "啊", "哎呀", "哎", "唉", "喂", "哦", "噢", "诶", "呀", "嘛", "那"}

// enRewrites fixes English contractions, informal spellings and recogniser
// errors, word by word ("a b" rewrites the words a b wherever they stand).
var enRewrites = []string{
	"im", "i'm", "know from me", "no from me", "sum other time", "some other time", "i am", "i'm", "dont", "don't", "do not", "don't", "does not", "doesn't", "doesnt", "doesn't", "did not", "didn't", "didnt", "didn't",
	"cant", "can't", "cannot", "can't", "can not", "can't", "wont", "won't", "will not", "won't", "is not", "isn't", "isnt", "isn't", "are not", "aren't",
	"was not", "wasn't", "i have", "i've", "ive", "i've", "id", "i'd", "i would", "i'd", "ill", "i'll", "i will", "i'll", "thats", "that's", "that is", "that's",
	"whats", "what's", "its", "it's", "it is", "it's", "youre", "you're", "you are", "you're", "theres", "there's", "there is", "there's", "where's", "where is", "wheres", "where is", "when's", "when is", "how's", "how is",
	"don't see why not", "why not", "gonna", "going to", "wanna", "want to", "gotta", "got to", "kinda", "kind of", "sorta", "sort of", "lemme", "let me", "gimme", "give me",
	"ya", "yeah", "yah", "yeah", "yea", "yeah", "yeh", "yeah", "okey", "ok", "okay", "ok", "k", "ok", "okey dokey", "ok", "alright", "all right",
	"mm hmm", "yes", "mhm", "yes", "uh huh", "yes", "yessir", "yes sir", "shore", "sure",
	"colin", "calling", "call be", "call me", "calling mi", "calling me", "a gain", "again", "to morrow", "tomorrow", "me letter", "me later", "back letter", "back later",
	"rung number", "wrong number", "numb her", "number", "represent a tive", "representative", "reel person", "real person", "meting", "meeting",
	"terrible serves", "terrible service", "no tanks", "no thanks", "not interest", "not interested", "of your list", "off your list", "want to complaint", "want to complain",
	"council my", "cancel my", "my bell", "my bill", "can't a ford", "can't afford", "leaf it", "leave it", "wear abouts", "whereabouts", "in shorts", "insurance", "in shurance", "insurance", "in sure ants", "insurance", "bday", "birthday", "tmrw", "tomorrow", "pls", "please", "plz", "please", "thx", "thanks", "u", "you", "r", "are",
}

// enFillers carry no meaning; "well" and "so" only at the start.
var enFillers = map[string]bool{"um": true, "umm": true, "uh": true, "uhh": true, "er": true, "erm": true, "hmm": true, "hm": true, "mm": true, "ah": true, "oh": true}
var enLeadFillers = map[string]bool{"well": true, "so": true, "like": true, "look": true, "listen": true}

// concepts are synonym classes. zh lists Chinese words (after rewriting; #
// marks the edge of a clause), en English words and phrases (after
// rewriting, lower case). A word may belong to several concepts.
var concepts = []struct{ id, zh, en string }{
	// Answers.
	{"AGREE", "好|好的|好啊|好呀|好吧|行|行啊|行吧|可以|可以的|成|同意|答应|ok|就这么办|就这样|没问题|没毛病|舒服|听你的|都行|都可以|随便|肯定|当然|必须|办吧|来吧|安排|整吧|妥|愿意|乐意|中意|来一份|来一个|签收|发吧|发货吧|你安排|安排嘛|你讲|你讲嘛|你说吧|你说嘛|没得问题|得嘞|要得|可以撒|说吧|讲吧|我能去|能去|我可以去|能过来|我能来|要嘛要嘛|要的嘛|那中|就中|搞起|帮我登记|不会不同意|放心弄|怎么会不愿意|当然愿意",
		"ok|sure|alright|all right|fine|agree|agreed|okay|sounds good|that works|works for me|go ahead|go for it|let's do it|of course|absolutely|definitely|certainly|you bet|you got it|for sure|why not|no problem|not a problem|perfect|great|aye|count me in|i'd like that|i'd love to|book it|ship it|send it|fire away|shoot|go on|go on then|carry on|i'm listening|go ahead then|i wouldn't say no|don't see why not|i don't see why not|be my guest|happy to|put me down for|not gonna say no|affirmative"},
	{"TRUE", "是|是的|是啊|是呀|对|对的|对啊|对呀|没错|正确|确实|就是|确认|确定|属实|嗯|嗯嗯",
		"yes|yeah|yep|yup|right|correct|true|exactly|indeed|confirm|confirmed|that's right|that's correct|i think so|i guess so|i suppose"},
	{"SELF", "是我|我是|我就是|本人|是本人|我本人|就是我",
		"that's me|it's me|this is he|this is she|speaking|yes it is|i'm here|the right person"},
	{"KNOW", "知道|知道了|明白|明白了|了解|清楚|收到|懂了",
		"got it|understood|i see|noted|i understand"},
	{"REPEAT", "再说一遍|再说一次|再讲一遍|再说一下|重复一下|刚才说|没听清|听不清|听得到吗|听得见吗|听不见|大点声|大声点|声音小|没听到|没听见|信号不好|断断续续|重复一遍|讲得太快|慢点说|没听全|说啥来着|刚才说的啥|你刚说啥",
		"say that again|say again|repeat|pardon|can't hear|didn't catch|breaking up|cutting out|speak up|broke up|line is bad|bad line|line broke|you broke up|broke up there"},
	{"KIN", "朋友|家人|老婆|老公|爱人|孩子|儿子|女儿|爸爸|妈妈|我爸|我妈|同事|客人|亲戚|兄弟|姐妹|哥哥|姐姐|弟弟|妹妹",
		"friend|friends|family|wife|husband|partner|kid|kids|son|daughter|mom|dad|mother|father|brother|sister|guest|buddy|colleague|coworker"},
	{"ALLOW", "允许|可以带|能带|带人|能不能带|让不让|可不可以带",
		"allowed|allow|can i bring|bring|permitted|let me bring|come with me"},
	{"PAUSE", "暂停|冻结|停一下|先停|停几个月|保留|挂起",
		"pause|hold|on hold|freeze|suspend|temporarily|put it on hold|a break"},
	{"CLAIM", "理赔|赔付|赔款|报案|出险|定损|赔偿|赔|撞了|事故",
		"claim|claims|accident|compensation|payout|damage|crash"},
	{"MEMBERSHIP", "会员|会员卡|账户|账号|卡",
		"membership|member|account|subscription|card"},
	{"OBJECTION", "意见|反对|异议|不同意见", "objection|object|mind"},
	{"POLITE", "不好意思|请问|麻烦问|麻烦您|麻烦你|劳驾|打扰一下", "excuse me|sorry|please|pardon"},
	{"THANKS", "谢谢|感谢|多谢|谢了|辛苦|麻烦你了|麻烦您了",
		"thanks|thank you|thank|appreciate|cheers"},
	{"REFUSE", "算了|不了|拒绝|免了|没必要|不必|不必了|没门|不考虑|不感兴趣|没兴趣|不需要|不用|不要|不想|不买|不办|不行|不可以|不同意|不愿意|不乐意|不接受|用不着|用不上|没需求|没需要|没有需求|暂时不需要|暂时不用|心领了|好意心领|不做了|就不做了|不参加|省省吧|拉倒吧|拉倒|甭了|免了免了|莫得需要|不考虑了|不弄|不搞|没啥兴趣|没啥需求|够用了|不用升级|不升级|不消|莫得必要|升啥子|不升|不麻烦您了|就不麻烦|不在考虑|报了别的|不开通|不缺这个|留给需要的人|没啥想法|不感冒|也不会考虑|不让我办|从来不碰|再买也是浪费|这辈子都不碰|不能参加|对我没啥用|别给我办|肯定不会买|不会买的",
		"no|nope|nah|pass|i'll pass|decline|i decline|no thanks|no thank you|not interested|i'm good|i'm all set|all set|i'm fine|no way|rather not|not for me|no need|hard pass|not really|say no|not in the market|not looking|give it a miss|i'll give it a miss|not for now|wouldn't be interested|not bothered|i'm okay thanks|i'm ok thanks|no ta|not today thanks|we're fine|a no from me|that's a no|not doing the|i'm not doing|won't be necessary|not necessary|can't see myself|taking you up on|stick with what we have|skipping this|a no from us|not signing up for|won't need it|happy with what i've got|don't sign up for anything|okay without it|fine the way things are|count me out|save your breath|skip it|keep the offer|don't do business over the phone|not upgrading|won't be needing|isn't interested|happy with the plan i have"},
	{"WANT", "要|需要|想要|想|需求|用|要的|需要的",
		"want|need|would like|wanna|like to|looking for"},
	{"INTEREST", "兴趣|感兴趣|有兴趣|中意|心动",
		"interested|interest|curious"},
	{"BUY", "买|购买|办|办理|订|下单|下过单|订过|买过|报名|报|续|续保|续费|参加|学|试驾|换|入手|拿下|成交",
		"buy|purchase|order|sign up|renew|join|subscribe|participate|get one|take it"},
	{"CANCEL", "取消|退掉|撤销|作废|撤回|不弄了|不搞了|不去了|不办了|停掉|不续了|不要了|退订|终止|解约|不续费|关掉|不来了|来不了|去不了|取消掉|不用约了|不约了|约的不要了",
		"cancel|call off|scratch|drop|terminate|end|end my plan|end my service|end my contract|discontinue|close my|stop my service|shut off|get out of my contract|don't renew|not renew|no longer need|not coming|not coming in|can't come|won't come|won't make it|can't make it|not going to make it|won't be there|don't want the service|don't want it anymore|no longer want|not going to need|skip the appointment|skip it|not going to make|won't make|can't make|won't be coming|not be coming|don't need that appointment|don't need the appointment|calling off|call it off|skip this one|skip the|strike that|scrap|scratch that|drop the|moved to another|found another|going elsewhere|bail|bail on|no show|no-show|give the spot|wipe out|don't need that slot|don't need the slot|moving out of state|somewhere else|won't be needing|take it out|strike me off|a miss|no need for the|no be there|have to be cancelled|cancelled|deactivate|want out of|won't be needed|drop the cleaning|found a dentist|won't need|no need to hold|take him off|take her off|call the whole thing off|scrap it|nae point|cross my name off|knock the booking|not go ahead with|consider it cancelled|not be attending|release the slot|knock off|off the books|not be able for|cancel that one|cancel the sim|count me out|shut the whole account|close my account|i want out|not renewing|don't rebook|shut mine off|terminate this account|kill it|call that off|shut my number off|close her line|close his line|don't need to come in|not going to show up|forget about the|skipping it|nix|don't hold that spot|close it out|early termination|not showing up|shan't make it"},
	{"HAVE_ALREADY", "已经有了|我有了|有了|自己有|家里有|买过了|已经买了",
		"already have|we have one|already got|already own"},
	{"PRICEY", "贵|太贵|价格太高|买不起|没钱|不划算",
		"expensive|can't afford|too much|pricey|overpriced"},
	{"QUESTION", "吗|么|呢#|什么|啥|哪|几|怎么|咋|多少|是不是|有没有|能不能|可不可以|可以吗|行不行|要不要",
		"what|what's|how|when|where|which|who|who's|why|is it|are you|do you|can i|could you|can you|will it|does"},
	// Time.
	{"LATER", "晚点|晚些|稍后|过会|等会|待会|回头|改天|以后|下次|下回|过几天|过两天|过段时间|到时候|有空再|有时间再|再说|再聊|再联系|再打|换个时间|改个时间|晚一点|迟些|等我有空|有空回你|回你电话|回电话给你|再回复|回复你们|给答复|答复你|再回复你|回头再说|晚点再联系|过阵子|等几天|先放一放|放一放|再提醒我|过了国庆|国庆后|过了节|一个钟头以后|一个小时以后|以后好不好|时间多点|再拨一次|再拨|再做这个回访|再缓缓|缓缓",
		"later|try me|try me again|another time|some other time|other day|some time|in a while|call back|call me back|call you back|i'll call you|get back to|catch me|not now|another day|reschedule|rebook|postpone|after payday|after the holidays|after work|after lunch|ring back|ring me back|phone back|call again|call me again|ring me later|ring again|get back to me|phone me|give me a ring|give me a bell|ring me|try again|after the fifteenth|in a bit|a bit later|ring me at|ring back after|ring back at|call me at|half past|speak again|talk again|pick this up|would work better|reach me on the|hit me up|how about thursday|how about monday|how about friday|ask me again|call again after"},
	{"FUTURE_DAY", "明天|后天|大后天|下周|下个周|下个月|月底|月初|过完年|年后|今晚|明晚|晚上|下午|上午|早上|中午|傍晚|点以后|点之后|点后|发工资|发了工资|节后|过完节|假期后|放假后|开学后|月中|号之前|号以前|号前|明儿个|晌午|明儿|明早|下班后|今天晚上|下周五|这周五",
		"tomorrow|tonight|next week|next month|this weekend|evening|afternoon|morning|the first|end of the month|end of the week|payday|when i get paid|month's out|end of next week|next friday|this friday|the fifteenth|tax refund|refund comes|when i get my|next payday|end of month|latest"},
	{"PAST_DAY", "昨天|前天|上周|上个周|上个月|上次|前几天|去年|早就|刚才|刚刚|上午刚|早上刚",
		"yesterday|last week|last month|ago|earlier|last time|before|already"},
	{"DONE", "已经|早就|过了|完了|清了|好了|掉了|已|交过|还过|付过|交了|付了|还了|还上了|转过去了|打过去了|处理了|账了|汇过去了|汇了|扣过了|存了|进去了|过去了|扣了|交上了|处理好了|办好了|弄好了|搞定了|刚还|刚交|刚付|刚缴|缴过|还进去|交进去|还完|还完了|还完咯|俾咗|冇欠|没欠了|不欠了|莫得欠|付清了|结清了|打过去咯|早打过去|扣走了|扣走|早还清|还啦|以经还|转账成功|截图都有|结清好几天|柜员说|扣款成功|自动扣了|都是零",
		"already|done|finished|been paid|paid off|took care|went through|cleared|settled|completed|sent|made the payment|sent the money|sent you|sent it|wired|mailed a check|mailed the check|mailed it|went out|came out of my account|deposited|payed|paid that off|paid it off|transferred|transferred the funds|came out of my checking|came out of|should have it|oughta be there|should be there by now|on your end|handled it|took care of it|left my account|confirmation number|did a transfer|your records|bank transfer on|as the reference|paid the full|did a bank transfer|posted the cheque|posted a cheque|remitted|neft|squared|receipt number|all ready paid|all ready squared|did it through|was mailed|paid by card|balance is zero|mailed a money order|paid it online|paid the whole"},
	{"DAY", "周一|周二|周三|周四|周五|周六|周日|周末|工作日|一号|号",
		"monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|weekday"},
	{"WILL", "会|将|马上|尽快|一定|争取|保证|打算|准备|就去|一早|这两天|这周内|马上还|就去还|先还|尽快还|争取还|抽空还|还一下|马上交|就去交|先交|尽快交|争取交|抽空交|交一下|马上付|就去付|先付|尽快付|争取付|抽空付|付一下|马上缴|就去缴|先缴|尽快缴|争取缴|抽空缴|缴一下|到了就还|到了马上还|一到就还|一发就还|就给你们|就转给你们|不会赖账|不赖账|肯定还|一定还|保证还|会想办法|想办法还|年终奖|奖金下来|这两天就|处理掉|不会拖|之前我|还掉|立马|工资到账|回去就|下班回去|一发下来|发下来|先还了|明早先|一到家|一大早|之前我用|补齐|先打|等我|到时候|肯定给|今天之内|之内|一早就|会还|之前给|之前还|之前会|之前一定|之前肯定|之前保证|底之前|天之前|周之前|点前|天前还|周前还|号前还|底前",
		"will|i'll|going to|gonna|promise|plan to|by|until|before|as soon as|once my|when my|you'll get it|you'll have it|planning to|intend to|i'm going to|will do|give me till|give me until|i'll have|it'll be sorted|sorted then|goes in on|pension|comes in on|once my salary|salary|wages come in|when ma wages|get it paid|gets credited|you got my word|for sure|i'll put|i'll clear|i'll make the payment|i'll get it|expect the full amount|can get you the money"},
	{"THINK", "考虑|想想|想一想|想一下|商量|琢磨|斟酌|问问|了解一下|看看再|再看看|再想|决定",
		"think|consider|thinking|discuss|decide|sleep on it|check with|talk to my|ask my|think it over|mull"},
	{"WAIT", "等|稍等|等一下|等等",
		"wait|hold on|hang on|give me|a few days|some time"},
	{"NOW", "现在|这会|这会儿|正在|正|目前|此刻|眼下|这边|手头|手上",
		"now|right now|at the moment|currently|at present|today"},
	// Calls.
	{"CALL", "打|打电话|电话|来电|打过来|打给我|联系|打扰|回电|回个电话|拨|呼叫|来电话|打电话来|电话来",
		"call|calling|calls|called|phone|ring|contact|reach|dial|further calls"},
	{"AGAIN", "再|再也|又|永远|以后|老是|天天|一直|总是|每天|多少遍|几遍|好几次|不想再接|再接到",
		"again|anymore|any more|ever|never|every day|keep|keeps|always|times|no further"},
	{"STOP", "别|不要|不许|不准|禁止|停|停止|莫|甭|勿|拜托别|求求你们别|再打试试|不要再拨|再打一个试试|标成拒接|再骚扰我|取消对我的外呼",
		"stop|quit|cease|don't|never|do not|desist|no more|asked three times to be removed|quit callin|quit calling"},
	{"HARASS", "骚扰|打扰|烦|推销|广告|烦不烦|有完没完|滚|滚蛋|老子|弄死|找死|神经病|有病|电话骚扰|追究法律责任|法律责任|报警",
		"harass|harassing|harassment|bother|bothering|bug|bugging|spam|pester|nuisance|pestering|hounding|bloody calls|fucking|piss off|get lost"},
	{"REMOVE", "删|删掉|删了|删除|拉黑|黑名单|去掉|注销|退订|免打扰|移除|取消号码|名单|从名单|通讯录里删|登记免打扰|免打扰名单|拒接",
		"remove|delete|take off|take me off|unsubscribe|opt out|opt me out|lose my number|do not call list|off your list|off the list|database|want off|off your marketing|for good|off your books|scrub my number|do-not-call|no further calls|no further contact|to be removed"},
	// Being busy.
	{"BUSY", "忙|忙着|很忙|太忙|在忙|正忙|忙死|没空|没时间|没工夫|腾不出|不方便|有事|有点事|手头有事|走不开|抽不开身|唔得闲|冇时间|开紧|先挂了|挂了啊|接不了|不好听电话|不好接|喘不过气|没法跟你唠|没法说|开着会|没功夫|客多|在会议室|讲不了|开家长会|做紧嘢",
		"busy|swamped|slammed|tied up|no time|bad time|not a good time|can't talk|in the middle of|occupied|hands full|flat out|run off my feet|up to my eyes|can barely hear|baby's screaming|gotta go|on the freeway|doctor's office|go into a presentation|can't do this"},
	{"ACTIVITY", "开会|开车|上班|上课|工作|加班|值班|吃饭|睡觉|睡着|带孩子|做饭|洗澡|出差|面试|考试|干活|送货|外卖|开着车|看病|医院|飞机|火车|地铁|高铁|外面|外地|办事|图书馆|课堂|车间|工地|理发|健身|手术|开车呢|上夜班|谈事情|客户|炒菜|厨房|打麻将|麻将|跑步|剪头发|给客人|监考|田里|打药|带娃|喂奶|遛狗|排队|洗碗|搬家|装修|上厕所|开刀|接孩子|送孩子|加油站|收银|巡逻|站岗|高速|高速上|机场|安检|登机|候机|工地上|开紧会|掰苞米|地里|满手泥|送单|骑着车|骑车|澡堂|喂猪|推车|接待客人|正在接待",
		"meeting|driving|drive|at work|working|work|class|cooking|eating|dinner|lunch|sleeping|asleep|gym|train|flight|plane|doctor|hospital|church|funeral|store|game|road|patient|customer|another call|other line|kids|bed|interview|shift|on shift|night shift|lecture|exam|ladder|shower|bath|mass|chair|haircut|kitchen|cinema|movies|concert|wedding|running|jogging|workout|school run|checkout|surgery|motorway|wheel|building site|on site|in office|in the office|sitting down to|airport|boarding|security line|walking the dog|on duty|at the market|market"},
	// People.
	{"PERSON", "人工|真人|活人|人|客服|经理|领导|主管|负责人|工作人员|专员|顾问|销售|业务员|老板|接线员|值班经理|师傅|管事的|能做主|懂的人|坐席|班主任|医生|护士|前台|值班的|你们老板|你们经理|你们领导|上级|主任|客服专员|人工客服|hr|负责招聘|业务经理|让他接|安排一位",
		"person|human|agent|operator|representative|manager|supervisor|people|customer service|live|real|actual|salesperson|dealer|receptionist|staff|account manager|being|someone to talk to|anyone i can talk to|speak to someone|talk to someone|speak with someone|anybody there|anyone there|anyone actually there|somebody real|whoever's in charge|in charge|someone in charge|a human|the boss|your boss|higher up|customer care|executive|customer care executive|a real one"},
	{"MACHINE", "机器人|机器|ai|录音|电脑|智能|自动|智能语音|语音助手|机器声|合成的|电脑声|自动的|机器念|录好的|喘气的|自动语音|是不是人|是人吗",
		"robot|machine|bot|computer|recording|automated|automatic|ai|computer thing|one of them computer|pre-recorded|prerecorded|robocall|voice bot|chatbot|an ai|anybody real|somebody actually there|is this recorded|talk to robots"},
	{"TRANSFER", "转|转接|接|换个人|换人|叫|找|让|转给|接通|坐席|话务员",
		"transfer|connect|put me through|get me|speak to|talk to|speak with|talk with|let me speak|let me talk|reach"},
	{"TALK", "说|说话|聊|讲|沟通|谈",
		"talk|speak|chat|discuss"},
	// Wrong number.
	{"WRONG", "错|打错|搞错|找错|弄错|拨错|登记错|错了|不对|有误|算错|多算|乱算|利息不对|不准|偏高|高了|不合理|信息有误|登记信息有误|少按了一位|多按了一位|按错了|少拨了一位",
		"wrong|mistaken|mistake|misdial|dialed the wrong|incorrect|inaccurate|not accurate|error|errors|doesn't add up|not right|isn't right|miscalculated|shouldn't be|should not be|too high|way too high|not the right amount|dialled wrong|misdialled|misdialed|dialled the wrong|dialed wrong|wrong one|wrong contact details|wrong details|digits mixed up|got your digits|want someone else|meant to reach"},
	{"NOT_ME", "不是我|我不是|不姓|不叫|不是他|不是她|不是本人|不是你找|不是你说|不是你们找|没有这个名字|跟我没关系|我真不是|不是这家|不是什么",
		"not me|i'm not|name's not|isn't|this isn't|my name is not|not who|someone else|never held an account|not mister|this ain't|not his phone|not her phone|don't know any|my late father|my late mother|not my name"},
	{"NOBODY", "没这个人|没有这个人|没这人|查无此人|没有叫|没叫|不认识|不知道是谁|没听说过|没此人|不在这个号|没这号人|没有你说的|没有你找的|没你说的这个人|不是这个号|号上没有|没有姓|没姓|没这么个人|没有这么个|不住这|搬走了|过世了|去世了|走了好几年|没在你们那|不在这上班|不在这工作|之前的租户|租户|搬走半年|没有您说的|并非|没人叫|没有这位|没有孙经理|就我一个人住|不认得这个人",
		"no one|nobody|never heard|don't know who|don't know anyone|no such|no one by that name|by that name|doesn't live|not here|don't know anybody named|don't know anyone named|anybody named|anyone named|nobody named|no one named|nobody by that name|not here anymore|no kevin|passed away|died|moved away|lived here before|the lady who|the man who|previous owner|before me|doesn't work here|whoever you're after|company phone|no longer works here|no idea who that is|not a private person"},
	{"NUMBER", "号码|号|电话|手机号|座机|手机",
		"number|line|phone|this number"},
	{"NEW_NUMBER", "新办|刚买|刚办|换号|换人了|以前的号|不用这个号|新号|换了号|号换了|二手号|不用这个手机|不用这个电话|不用这个号码|换手机号了|换号码了|早不用了|号码换了|不是他的号|不是她的号|新买的号|刚换的号|这号是我的|号码是我的|新卡|刚办的卡|早停了|现在是我在用|是我在用|原来的机主|新选的|之前的机主|上一个机主|原来是我|前房东|早就不用了|转给我了|新买的|前机主|走了两年|换人用了|号码是旧的|现在这个号是我的",
		"new number|just got this number|got this number|doesn't have this number|not his number|not her number|isn't his number|anymore|moved out|used to|belongs to me now|my number now|isn't his anymore|isn't hers anymore|not his anymore|not hers anymore|got this number recently|new phone number|bought this sim|new sim|got this phone|just got this phone|recycled number|reassigned to me|changed his number|changed her number|changed their number|sold it to us|moved out years ago|moved out a while|old owner|different number now|hasn't been his number|hasn't been her number|old tenant|came with the apartment|a digit off|one away from"},
	// Complaints.
	{"COMPLAIN", "投诉|举报|12315|消协|银保监|曝光|差评|维权|告你们|去告|一次不如一次|摆设|一塌糊涂|给个说法|骂人|阴阳怪气|不爽|咋不去抢|受不了|一言难尽|两码事|真系衰|卡死|不合理|不认账|踢皮球|钱收两遍|钱也不退|不是骗人吗|谁受得了|不得劲",
		"complain|complaint|report|bbb|better business bureau|review|sue|lawyer|file|crooks|ripping me off|lodge a|grievance|nightmare|not happy with|doesn't even work|no one ever does|no one cares|so frustrating|different answer|talked to me like|trash|nothing but problems|no way to treat|didn't fix a"},
	// Whether the call can be trusted: a question, not a complaint.
	{"LEGIT", "正规|正规的吗|诈骗吧|骗子吧|咋证明|怎么证明|是不是真的|官方的吗|真的假的|工号|哪家机构|哪个机构",
		"legit|legitimate|a scam|is this real|prove you're|how do i know|genuine call|is this genuine|being recorded"},
	// A grievance told as a story: what was promised against what happened.
	{"GRIEVANCE", "说好|说是|答应|保证过|广告上|明明|结果|居然|竟然|根本|到现在|早干嘛|凭什么|哪有这么|谁跟我说过|有你们这么|这叫什么|什么玩意|还让我|一点动静|人影都没|搞的啥|什么名堂|有冇搞错|冤枉|忽悠人|不耐烦|挂了|太冲|训孙子|没人管|让我自己|又说|反映|反映一下|倒是|一分没少|对不上|到底|会死啊|拖到|硬给我|也不通知|不通知|背着我|才晓得|推一次|问一次|压根|还在原地|原地不动|批不下来|可能吗|啥也没查出来|事先告知|没有告知|不规范|闪退|天天断|拆过的|扔在楼下|自动续费|也不提醒|比当初说的|换了三个|线头|怪味|谁同意的|修了跟没修一样|跟没修一样|还是老样子|浪费我时间|连句道歉|刮花|排了两个钟头|就开一个窗口|晚到了|跑路了|登不上去|也不提前通知|少算了|才开了|又让家长|送错三回|全变了|三天两头",
		"nobody bothered|nobody told|swore|was told|they said|supposed to|still there|still not|still hasn't|every single time|who even|how is it|what is this|nonsense|treat|thieves|arrogant|rough|shrugged|without any warning|not what i signed up for|whereas|not at all correct|lodge|grievance|nobody came|not one person|seemed to care|for the same|and now|instead|made me pay|rang out|loyal customer|nobody's read|estimates|on hold|make no sense|makes no sense|still waited|kept cancelling|still paid full|left my package|got stolen|missed my delivery|lied to me|drops every time|never signed up for|never agreed to|wasn't in the original|but it didn't|got soaked|swapped the rest|hadn't even started|without any notice|got declined|fell out after|never called me back|screamed at me|late fee, i paid"},
	{"BAD", "差|烂|垃圾|糟糕|坑|坑人|骗|骗子|骗人|欺诈|恶劣|失望|不满意|差劲|太次|破|无语|不负责|不认真|不像话|离谱|过分|气人|不怎么样|没效果|没有效果|没用|好差|好烂|好坑|差评|给差评|不推荐|后悔|闹心|窝火|敷衍|推脱|慢吞吞|一塌糊涂|乱七八糟|太慢|很慢|又坏了|没修好|没解决|没人管|不管不问|没人理|不理人|不给解决|打不通|没人接|一直占线|找不到人|联系不上|没人回|不回消息|踢皮球|推来推去|说话难听|态度差|爱答不理|言而无信|说话不算数|忽悠|忽悠人|套路|霸王条款|乱收费|不给退|拖着不|一拖再拖|三番五次|一次又一次|玩手机|一地都是|打一分|零分|打个一分|不专业|乱扔|没素质|磨洋工|拖拖拉拉|虚假宣传|糊弄|不靠谱|太坑|被坑|态度|乱讲|太冲|不耐烦|挂我电话|不咋地|一颗星|一星|啥玩意|老毛病|能满意吗|渣子|没收拾|手重|出了好多血|嫌我事多|啥也没整明白|抢钱|破玩意|刚毕业|哪能弄得来|真服了|这叫啥事|啥子都没学到|没学到|没信心|白等|白等一天|慢得要死|交那么多钱|谁负责|非常不满|不满|失落|两回事|等了一整天|折腾|跑了三趟|低于预期|远远低于|给不了好评|糟心|一点用没有|给个差评|一身烟味",
		"bad|terrible|awful|poor|worst|horrible|scam|scammer|scammers|disappointed|disappointing|unacceptable|ridiculous|rude|useless|unhappy|not satisfied|letdown|lousy|fraud|never again|regret|wouldn't recommend|not recommend|waste|sloppy|careless|dismissive|never fixed|not fixed|still broken|unresolved|not resolved|nobody fixed|no one fixed|never resolved|nobody helped|nobody ever|a joke|joke|threw|thrown|tossed|was promised|were promised|you promised|never got it|never received|third time|second time|every single time|again and again|over and over|not what i|keeps happening|runaround|the run around|hung up on me|no one answers|nobody answers|can't get through|never call back|never called back|ignored|ignoring|lied|lying|misled|false advertising|hidden fee|hidden fees|rip off|ripoff|ripped off|shoddy|cowboy|mess|messy|unprofessional|one star|zero stars|dreadful|rubbish|shambles|appalling|daylight robbery|rip-off|lied to me|not good enough|fed up|sick of|shocking|arrogant|shrugged|passed around|fobbed off|treated like|not impressed|naebody|nobody's phoned|never went through|still get billed|still get build|until now|not received"},
	{"BROKEN", "坏|坏了|坏的|破了|烂的|黑屏|起球|异响|漏|不能用|用不了|有问题|质量问题|毛病|故障|洒了|弄坏|有个洞|破洞|有洞|开线|掉色|褪色|缩水|划痕|刮花|瑕疵|裂了|裂开|碎了|缺件|少零件|坏掉|不亮|不制冷|不出水|死机|卡顿|漏水|发霉|变质|假货|不是正品|山寨|漏油|漏电|异味|发臭|掉了|松了|脱落|不转|花屏|充不进电|充不上电|故障灯|碎成渣|大坑|不是原装|拖拉机似的|吃出|头发|异物|凹了|变形|开胶|掉漆|不出热水|信号差|网速慢|断网|窟窿|裂的|断了两回|泡湿|歪七扭八|糊",
		"broken|broke|damaged|doesn't work|didn't work|stopped working|not working|defective|faulty|cracked|noise|hole|ripped|torn|scratched|dented|stained|leaking|leaks|shattered|missing parts|expired|spoiled|fake|counterfeit|knockoff|came apart|fell apart|won't turn on|doesn't turn on|stopped charging|ruined|fell out|came off|snapped|peeling|faded|crushed|tear|rattle|slower than|bled|dead on arrival|won't charge|keeps dropping|drops out|no signal|wrong tooth|wrang tooth|agony"},
	{"LATE", "慢|还没到|没到|没送到|迟到|延误|拖|等了|一直没|还没|好几天|一个礼拜|三天了|没来|没更新|卡在|还没来|一周修好|还让我等|拖到|拖了|等了一上午|打不进去|好几天了|半个月|一个多月|成个月",
		"late|delayed|never arrived|never came|never showed|slow|waiting|weeks|still hasn't|waiting on|three weeks|two weeks|still waiting|hours on hold|on hold for|rang out|took forever"},
	{"CHARGE", "扣费|扣钱|收费|多收|乱收|多扣|扣了|扣我|乱扣|收了钱|多收了|多扣了|扣多了|乱收费|额外收费|莫名其妙|怎么这么多|涨了|变贵了|比以前多|超出|超了|上门费|另算|多了个|增值业务|短信服务费|服务费|违约金|罚息|手续费|收我|收了我|年费|扣了一笔|冻结|管理费|加了个|流量包|开了个",
		"charge|charged|overcharged|fee|fees|billed|charged twice|charged extra|extra charge|extra|higher than usual|more than usual|went up|increase|increased|overage|surprise charge|mystery charge|higher|jumped|annual fee|penalty|premium|reconnection fee|paper statement|debited|jacking|charging me|charged me|late fee|admin fee|handling fee|interest went|rate went|billed every month|build every month|hit with|came out on the same day|two payments"},
	{"REFUND", "退款|退货|退钱|赔|赔偿|退",
		"refund|money back|return|reimburse|compensation"},
	{"SERVICE", "服务|态度|售后|质量|效果|体验",
		"service|support|experience|quality"},
	{"MISTAKE_GOODS", "发错|少发|漏发|错货|发成|不是我要的|送错|寄错|拿错|又送错|货不对|发错货|寄到老家|没收到|根本没收到|少了一个|只来了",
		"wrong item|wrong product|not what i ordered|missing item|wrong size|wrong colour|wrong color|sent the wrong|only one turned up|what came was|never received|wasn't in the box|missing from"},
	// Money and payment.
	{"MONEY", "钱|款|费|金额|账|块|元|现金|工资|一分钱|利息|滞纳金|违约金|手续费|罚息",
		"money|amount|balance|dollars|bucks|cash|funds|paycheck|payday|interest|late fee|late fees|penalty|penalties|fees"},
	{"PAY", "还款|还钱|还了|还上|还清|还完|还过|就还|会还|去还|先还|能还|没还|还掉|还进去|已还|还#|付|付款|支付|交|缴|缴费|转账|打款|转过去|打过去|结清|结账|付清|给钱|给你们打|汇款|汇过去|汇了|扣过了|自动扣款|自动还款|微信转|支付宝转|转给你们|打到卡上|打到账上|存进去|存了|手机银行|网银|银行app|还进去了|交进去了|存进去了|打进去了|还的钱|扣了款|刚还|交完|交清|刚交|付完|刚付|缴完|缴清|刚缴|交过|付过|缴过|交进去|马上还|就去还|尽快还|争取还|抽空还|还一下|马上交|就去交|先交|尽快交|争取交|抽空交|交一下|马上付|就去付|先付|尽快付|争取付|抽空付|付一下|马上缴|就去缴|先缴|尽快缴|争取缴|抽空缴|缴一下|到了就还|到了马上还|一到就还|一发就还|就给你们|就转给你们|填上|补上|柜台|去柜台|网点|一次性|全部还",
		"pay|paid|payment|payments|settle|settled|transfer|sent the money|send it|check's in the mail|clear|cleared|paying|sent you|sent it|wired|wire|mailed a check|mailed the check|mailed it|zelle|venmo|autopay|auto pay|direct debit|took it out|came out of my account|went out|deposited|online banking|bank app|through the app|handed it over|at the branch|paid cash|paid in cash|in person|paid online|online payment|payed|transferred|checking|over the phone|zelled|took care of it|take care of it|get it sorted"},
	{"NO_MONEY", "没钱|拿不出|还不上|还不起|付不起|手头紧|困难|周转不开|周转|失业|下岗|破产|亏了|没收入|一分钱都没有|没工作|住院|生病|揭不开锅|紧张|只能还一部分|还一部分|先还一部分|还不了全部|还不全|凑不齐|差一点|工资没发|工资还没发|没发工资|欠薪|房贷|看病|生意不好|裁员|被裁|被辞退|辞退|没了工作|一时半会|花光|花完了|出了点事|出事了|出了事|家里有事|急用钱|没有钱|一点钱都没有|没钱了|欠了一堆|压力大|交不起|还不了钱|暂时还不了|一时还不了|现在还不了|实在还不了|还不了了|赔了|赔光|亏光|精光|兜里|没开工资|拖欠工资|不发工资|拖着不发|工作丢了|丢了工作|工作都丢了|丢工作|没活干|没活|揭不开|日子难|过不下去|穷|比脸还干净|一分没有|倒闭|没发过工资|好几张卡|拆东墙补西墙|补不上|扛不住|上有老下有小|靠我一个人|养家|欠了一屁股|借不到|住院了|钱全砸进去|砸进去|莫得办法|不剩啥|不剩什么|交完房租|房租|吃不上饭|才挣|挣得少|工资低|停工|工资拖|拖了三个月|哪有钱|工资被|被拖欠|客户回款|没这个能力|停息挂账",
		"broke|can't afford|lost my job|out of work|tight|no income|no money|don't have the money|disability|surgery|unemployed|hardship|struggling|can't pay the full|can't pay it all|can't pay all|only part|part of it|partial|half now|a little at a time|short this month|behind on|bills piling|medical bills|laid off|cut my hours|fixed income|between jobs|can't cover|lost my income|got fired|no job|can't make ends meet|on disability|in the hospital|got hurt|injured|can only pay a little|only pay a little|some of it|hours got cut|hours were cut|hours cut|reduced hours|pay cut|pay got cut|been sick|got sick|nothing left|after rent|single mum|single mom|make ends meet|paycheck to paycheck|barely|scraping by|on benefits|struggle|skint|strapped|money's tight|can't stretch|can't keep up|drowning|maxed out|two jobs|sole earner|kids to feed|off sick|nothing coming in|death in the family|funeral|on the pension|that sort of money|all at once|business don slow|no get money|not possible|small emis|emis|i'm a student|in my account|one income|husband left|wife left|in hospital|in and out of hospital|not working right now|groceries|can't do both|nursing home|every penny|made redundant|circumstances have changed|can't meet the full|running at a loss|broke until|got nothing|literally can't|plant shut down|looking for work|social security|ate up all my savings|hospital bills|living on social security"},
	{"EXTEND", "延期|宽限|缓|缓一缓|分期|少还|分几期|晚几天|推迟|延后|减免|协商|慢慢还|慢慢给|分几个月|分开还|一点点还|少还点|宽限几天|先还一部分|剩下的月底|拆成三期|拆成|停息挂账|推迟一天",
		"payment plan|installments|extension|extend|plan|a little each month|a month|more time|hardship program|reduce|spread it out|spread out|over a few months|split it|split the payment|bit by bit|in parts|smaller payments|pay it off slowly|pay in chunks|installations|instalments|lower the amount|smaller bits|easy repayment|repayment option|split the|set up payments|smaller chunks|break it into"},
	{"NOT_MINE", "不是我的|不是我欠|不是我借|没借|没刷|不认|对不上|没用过|没花过|没消费|冒用|盗刷|不是我花|早还清了|好几年前|很多年前|不是我办的|身份被盗|被盗用|从来没办过|没办过|没开过|没申请过|从没|从来没有|没用过这张|不是我刷|没刷过|不是本人办|早就注销|已经注销|注销了|销户了|没在你们|没办过卡|跟我没关系|不关我事|注销掉|注销掉了|哪来的欠款|没有消费过|没消费过|冒名|不是我本人|没同意过|就刷过|根本就没有欠款|只有五千",
		"not mine|not my debt|don't owe|never opened|never had|identity|never signed|don't recognize|stole|paid years ago|years ago|statute of limitations|too old|identity theft|someone else's|not my account|shouldn't be on my|never applied|never signed up|not my card|never used|don't know this account|isn't mine|ain't mine|isn't my debt|not my bill|isn't my bill|account was closed|closed that account|nothing outstanding|don't owe anything|owe nothing|nothing owing|not my loan|never borrowed|closed that card|nothing on it|bankruptcy|not liable|cosigner|ex husband's|ex wife's|sent it back|returned it|never took no loan|never took a loan|ain't never|ex-husband's|never mine|never heard of that company|never did business|sent the item back|got a refund|nothing to owe|cancelled the membership|30 day window|store card was cancelled|not my own|did not collect|sent the sofa back|shouldn't owe|misused my documents|with that lender|from my ex|my ex's|never banked with|used my name|didn't open anything|over seven years old|never heard of this creditor|never done business with|never take loan|somebody added"},
	{"PROOF", "证明|凭证|流水|核实|查一下|查查|证据|书面|材料|明细|对账|账单明细|合同|回执|回执单|回单|凭条|转账记录|截图|付款记录|还款记录",
		"proof|validation|verify|prove|receipt|evidence|validation letter|debt validation|in writing|paperwork|documentation|documents|show me|send me proof|contract|itemized|breakdown|receipt number|confirmation number|reference number|bank statement"},
	{"DISPUTE", "异议|有异议|申诉|不认可|不认这笔|质疑|核实一下|要核实|有争议|争议|怎么还有欠款|还有欠款|怎么还欠|凭什么|数不对|对不上|凭啥|凭啥子|咋个算|咋算的|怎么算的|怎么算出来|算出来的|明明|搞错了吧|数不对吧|哪来的|怎么来的|不认这个|对不上号|退了货|退货了|已经退款|不该算|算我头上|不该我还|前夫|前妻|拿我身份证|一次都还没用过|才激活|怎么变成|变成了|说过免掉|免掉的|又算进去|算进去|冲账|没冲账|对过账|多收了|算我逾期|肯定搞错了|额度才|算到我头上|说好免的|没激活过|没激活|只欠|还在收",
		"dispute|disputing|contest|challenge|validation|validation letter|validate|verify the debt|debt validation|not accurate|i don't agree with|validated|validate it|prove it|proof|show proof|send proof|send me proof|not right|isn't right|wrong amount|not the right amount|original creditor|creditor|who do i owe|who is this debt from|way off|off by|figure is wrong|only owed|only ever owed|not what i owe|never owed|doesn't match|don't recognise|don't recognize|my ex's|name was never on|never on it|got me down for|only ever|not mine to pay|can't be right|figures can't|want it proved|looks like fraud|fraud|bogus|tacked on|supposed to refund|discharged|disputed|not in my agreement|weren't in my agreement|cancelled in writing|shouldn't even be"},
	{"PRICE", "多少钱|价格|价钱|价|报价|报个价|售价|底价|落地|裸车|全款|优惠|折|便宜|降价|多少米|几块钱|费用|收费|学费|课时费|降点|降一点|便宜点|便宜一点|再少点|少点|让点|优惠点|打个折|砍砍价|还能少吗|低点|再低点|最低|最低价|成交价|指导价|开回家|提车要|要花多少|花多少|算钱|怎么算钱|按节|按课时|收钱|怎么卖|卖多少|几万|多少万|贵不贵|现金减免|优惠活动|礼包|送保养|送不送|别家|别家店|低一万|给这个数|也给这个价|砍价|到手价|准数|以内|能拿下|多少能拿下|预算|降价空间|还能降|按次收|按次|一次两百|一次多少|教材费|另外收|包在里面|合下来|几个钱|报我|比这个低|低一点|几百块|几百|总数|好多钱|一共需要|加上运费|搞活动|降个|万把块|最低好多|几钱|报名要|降了没|值多少|让多少利|多少钱一|实际要付|怎么算|全下来|一共啥数|订单总额|搞啥活动|活动没有|有啥活动|啥价",
		"price|cost|costs|how much|expensive|cheap|discount|deal|deals|rate|quote|how much is it|what's it cost|what does it cost|price tag|knock off|best price|out the door|match the price|price match|any offers|knock it down|within budget|my budget|what would it cost"},
	{"HOWMUCH", "多少|几块|几千|几万|多钱",
		"how much|how many|amount"},
	{"WHEN", "什么时候|啥时候|几时|几号|几点|多久|多长时间|哪天|哪一天|时间|快不快|几天|物流信息|进度|状态|派送中|在路上|还要多久|要多久|到没到|发没发|发了没|发出没有|到哪了|到哪儿了|走到哪|物流不动|不更新|没更新|查不到|发出来没有|发出来了吗|发了吗|发出来没|发货了没|发了没有|发出去没有|寄出来没有|预计|能不能到|派到|能派|今天能到|今天到|到哪个|什么位置|发出来|能到吗|到不到|到手|出库|揽收|几时到|哪天到|还要几天|出发了没|出发没|出发了吗|派件的|派送了吗|送出来了吗|赶得上|赶不赶得上|加急|就要到|发走|当天能发|还没发|咋还没发|到县里|在市里|现货|预售|赶在|来得及|还有多远|最快哪天|看不到影子|还在网点|几点钟能|说好昨天到|人呢",
		"when|what time|how long|what day|eta|how soon|status|news|update on|any update|an update|has it shipped|tracking number|on its way|out for delivery|still waiting|heard anything|on the truck|on the way|in transit|hasn't arrived|hasn't come|not here yet|never got it|didn't get it|haven't received|haven't gotten|where's it at|getting it|get it today|today or tomorrow|window|time window|delivery window|tracking link|how many stops|stops before|how close|what time will|what day will|stuck in|left the warehouse|warehouse|here before|where is it|what's going on with|on the van yet|out yet|depot|got to|held up|customs|how far away|far away is the driver|the driver|where it is|which city|wait in|gonna make it|before the|en route|shipment currently|an update on|how far out|this morning or this evening|expect it|tracking update"},
	{"WHERE", "哪里|哪儿|在哪|到哪|哪了|哪一步|哪个位置|什么地方|什么位置|位置|地方|地址|方位|怎么去|怎么走|怎么过去|远不远|远吗|近吗|公交|坐公交|地铁|几路车|坐几路|打车|导航|停车|停车场|附近|离我家|离这|多远|最近的|哪个校区|分校|门店在|店在哪|怎么找|找不到|市中心|太远|跑到|跑去|远了|哪个区|什么区|在哪个|哪条路|几号线|楼上|商场|万达|哪个商场|几楼|好找|边度|喺边|过去要多久|开车过去|近不近|走过去|那边有没有|搬了|还开着|上课的点|好不好停车|远不",
		"where|address|location|located|directions|how do i get|how to get|find you|parking|park|street|building|floor|entrance|near|bus|subway|metro|transit|train station|uber|taxi|cab|get there|goes there|go there|get to you|map|gps|way to|closest|nearest|how far|far from|close to|nearby|campus|suite|which floor|landmark|cross street|highway|exit|freeway|motorway|junction|turn off|which road|what road|postcode|zip code|bus stop|on main|which location|different location|next to the|and main|whereabouts|round here|still at|which door|round the back|did you move|where is it you are|satnav|sat nav|reach your|which way|on foot|street number|same plaza|leave my car|old clinic|did y'all move|a ramp|an elevator|front or around back"},
	{"ADDRESS", "地址|家|公司|单位|新家|学校|老家|路|号楼|小区|宿舍|店里|门店|药房|超市|厂里|工地|我妈家|亲戚家|朋友家|门牌号|门牌|新房子|老房子|爸妈那|我爸妈家|她那|他那|定位|发你定位|菜市场|那间|东门|公司前台|闺女家|儿子家|女儿家|学校去|住我妈|写字楼|上班那|住我妈那|上班的那栋|科技园|楼层不对|收件信息",
		"address|home|house|office|work|apartment|place|street|new place|my shop|my store|my mum's|my mom's|my parents|my office|workplace|flat|unit|apartment number|postcode|zip|cousin's place|staying there|that flat|not at that|house number|house number's|old place|new house|daughter's place|son's place|care home|old house|at my daughter's|my mom's place|my mum's place|don't live there anymore|my work address|job site|zip code"},
	{"CHANGE", "改|换|变|调|更改|修改|调整|换成|改成|换个|改个|写错了|填错了|提前|推后|往后推|往后挪|挪一下|改到|换到|调到|换一天|填岔|改派|转寄|转到|拍错|选错|下错|加一件|再加|去掉一个|只留|照发|升级成|先别送|别送过来|等我方便|哪天都行|工作日别来|别今天送|推到|再送|在家的时候|填反|别送家里|拍成了|其实想要|减一个|换m号|换成m|别往我家送|甭送我这|再添|添两个|凑成|挪到|改送|往我公司|送我上班|转寄到|更正|派到|不要蓝色的了|换成白色",
		"change|switch|move|update|modify|redirect|instead|different|another|wrong address|address is wrong|address is incorrect|outdated address|old address|bring forward|bring it forward|sooner|bump|swap|push back|push it back|move it|later in the day|earlier|rearrange|shift|new date|another date|what else have you got|no good anymore|other times|doesn't suit|have you got a monday|have you got another|any other day|anything open|the week after|out of town till|not that day|moving the|to a saturday|backwards|what's open|anything around|postpone|by one week|relocated|reroute|put me down for|make it the following|following monday|could become|prepone|new slot|could it come|slide it back|ship it to|route it to|typed the zip|double booked|rejig|won't fly"},
	{"DELIVER", "送|发|寄|配送|派送|发货|送货|派件|发出|寄过来|送过来|发过来|出库|揽收|打包",
		"deliver|delivery|delivered|ship|shipped|send|sent|dispatch|drop off|dispatched|on the van|out for"},
	{"PACKAGE", "快递|包裹|件|货|东西|快件|单号|物流|订单",
		"package|parcel|order|delivery|shipment|box|tracking"},
	{"ARRIVE", "到货|收到|送到|到达|到哪|能到|到了|还没到|几天到|多久到|到手|拿到|收到货|能收到",
		"arrive|arrives|get here|come|coming|arriving|receive|turn up|show up"},
	{"PUT", "放|搁|扔|留|存|寄存|放到|放在|撂|搁那|撂那|扔那|放着|挂|挂在|随便放|放哪都行|别退回|寄存到|搁着",
		"leave|drop|put|place|leave it|tuck|hide|stash|shove|drop it|give it to|hand it to|chuck|chuck it|set it down|set it|give to|drop it round|takes parcels|give it to him|give it to her"},
	{"SPOT", "门口|快递柜|丰巢|驿站|菜鸟|门卫|保安室|前台|代收点|邻居|隔壁|快递箱|楼下|柜|代收|帮忙收|帮我收|让老板|小卖部|便利店|物业|管理处|收发室|门边|门后|门外|鞋柜|地垫|门口边|传达室|门把手|台阶|院子|院里|窗台|门垫|保安亭|丢保安|丢门口|丢门卫|丢快递柜|保安|小区保安|楼梯底下|楼梯间|楼道|一楼大厅|大厅|智能柜|取件码",
		"door|porch|mailbox|front desk|doorman|reception|neighbor|steps|doorstep|garage|gate|locker|back door|outside|mat|doormat|plant pot|bins|behind|side gate|shed|concierge|downstairs|garden|lobby|parcel locker|letterbox|back step|front step|building entrance|entrance|at number|lady at|next door|the neighbours|neighbours|neighbour's|green bin|bin|recycling bin|wheelie bin|step|the step|verandah|veranda|deck|back deck|round the back|watchman|gateman|security guard|mail box|ups store"},
	{"HOURS", "几点关门|几点开门|关门|开门|营业|营业时间|几点下班|几点上班|开到几点|几点营业|休息日|节假日",
		"what time do you close|what time do you open|opening hours|business hours|hours|open on|closed on|open until|open late"},
	{"WHO", "快递公司|物流公司|什么公司|哪个公司|哪家公司|哪家快递|哪个快递|你是谁|你们是谁|哪里打来|哪位|什么单位|哪个单位",
		"who is this|who's this|who's calling|who is calling|what company|which company|where are you calling from"},
	// Opinions.
	{"GOOD", "满意|好|不错|挺好|很好|棒|赞|优秀|专业|细心|到位|舒服|点赞|没得说|喜欢|实惠|划算|贴心|及时|给力|好评|给好评|推荐|五星|满分|挺满意|蛮好|真不错|热情|耐心|周到|效率高|特别好|非常好|真好|太好了|超好|好得很|很棒|特别棒|速度快|很快|挺快|没毛病|顶呱呱|顺心|没啥毛病|靠谱|挺靠谱|省心|来人快|一打电话就|没得挑|挑不出|很负责|挺负责|准时|仔细|认可|老好了|点个赞|把地拖了|给十分|十分满意|杠杠的|杠杠滴|很可以|挺顺手|用着挺顺|打满分|特别耐心|下次还找你们|比我想象的强",
		"good|great|excellent|satisfied|happy|love|nice|wonderful|perfect|helpful|awesome|pleased|glad|fantastic|amazing|friendly|five stars|5 stars|recommend|well done|quick|efficient|patient|courteous|on time|smooth|impressed|very good|really good|so good|top notch|excellent service|great job|spot on|brilliant|cracking|lovely|no complaints|can't fault|couldn't fault|top marks|ten out of ten|really pleased|chuffed"},
	{"SOSO", "一般|凑合|马马虎虎|还行|还可以|普通|普普通通|中规中矩|就那样|过得去|不好不坏|说不上|还算|一般吧|还凑合|也就那样|马马虎虎吧|中等|说得过去|差不多|没什么特别|还好吧|不算好|那么回事|就那么回事|及格|将就|将就吧|凑合吧|一般化|还过得去|不咋地|一般般吧|能用就行|没啥感觉|有好有坏|持平|一半一半|六十分|三颗星|及格吧|谈不上|说满意吧|没啥大问题|也谈不上|没啥惊喜|三星|还凑活|凑活|给个三分",
		"so so|okay i guess|average|fine i guess|not bad|could be better|meh|decent|alright i guess|nothing special|mediocre|middle of the road|it was okay|it was ok|fair|so-so|mixed|okay-ish|passable|it'll do|it did the job|nothing to write home about|six out of ten|five out of ten|hit and miss"},
	{"SUGGEST", "建议|意见|希望|改进|提个|最好|能不能|可以再|应该|提个醒|安排人|要是能|如果能|就方便多了|方便多了|多好|加个|增加|最好能|能不能加|建议你们|希望你们|就好了|会更好|更好|该留|应该留|透明一点|再透明|要我说|能不能多|多安排|可以搞个|搞个|省得|简单点|可以简单|太浪费|太绕|简化|可以简化|优化|多加|改改|加几条|该早点|可以缩短|多开|多备点|拉个微信群|上门前先|印大点|可以考虑",
		"suggest|suggestion|hope|improve|should|would be nice|wish|recommend|it'd be better|would be better|you should|maybe you could|it would help|feedback|would be great if|be nice if|if you could|ought to"},
	// Domains tenants write intents for.
	{"SCHEDULE", "上课|课|时间|班|周末|课表|几点到几点|安排|节|排课|课程安排|上课时间|有没有空位|空位|几趟|礼拜几|星期几|每周|每个礼拜|排在|上几节|上到几点|几点开始|几点结束|寒假|暑假|集训|放学|赶上|多少周|几周|学完要|怎么安排|每天都上|课程表",
		"schedule|class|time|slot|appointment|available|availability|anything on|any openings|opening|openings|slots|free slot|spot open|later slot|earlier slot|what days|which days|how often|times a week|timetable|start time|what time does"},
	{"TRY", "试|试听|体验|试驾|试试|试一下|试课|开开|体验课|听一节|听听|听一下|先听|先上一节|旁听|蹭一节|先上一次|试上|体验一下|先体验|跑两圈|开两圈|开一圈|试试车|摸摸车|上手开|开着跑|开一下|公开课|听一次|听一堂|听一节课|带娃去听|免费课|试学|体验一节|摸一把|上路跑|跑一跑|开到我|试一把|上一次感受|感受下|感受一下|上一节看看|跟着上一节|约一节|免费的一节|免费体验|溜一圈|开出去|试驾名额|名额|试一次|试一次课|实车|摸摸|开着感受|开一段|蹭一堂|蹭节|蹭课|开开看|去开开|试乘|听一回|坐一节|不收钱先来一次|不要钱的课|第一节不要钱|上高速跑一段|先试试车",
		"try|trial|test drive|test|demo|sample|sit in|try out|trial class|trial lesson|free class|free lesson|take it for a spin|take it out|drive it|test it out|have a go|sit in on|drive one|spin in|behind the wheel of"},
	{"BOOK", "预约|约|登记|安排|报名|订",
		"book|appointment|schedule|reserve|reservation|sign me up"},
	{"LOAN", "贷款|按揭|分期|首付|月供|利息|免息|利率|零首付|车贷|零利率|按月还|按月|先付|付三成|三成|两成|剩下的|分几年|十二期|二十四期|三十六期|分三期|分六期|分期付|期数|贴息|金融方案|金融政策|一个月付|每个月付|月付|贷得下来|能贷|批贷|工资流水|流水|征信|分五年|分三年|分两年|几年还|贷三年|贷两年|贷五年|一个月要还|要还多少|不要利息|还好多|金融机构|审批|一个月要出多少|金融公司|提前结清",
		"loan|finance|financing|installments|interest|down payment|monthly|apr|lease|finance plan|monthly payments|per month|payment plan|credit check|deposit"},
	{"TRADE", "置换|旧车|老车|二手|折价|以旧换新|抵|作价|收二手|卖了|折多少|能折|抵车款|抵多少|旧的|开了几年|我那辆|那辆车|估个价|评估|拿来抵|值几个钱|值多少钱|顶一部分|差价我补|补差价|现在这台|跑了|公里|旧车换|收不收|收车|卖给你们|换新的|拿来换|旧换新|折个价|抵扣购车款|购车款|开了六年|开了十来年|处理掉|提台新的|淘汰国五|补助|开了八年的|能换吗",
		"trade in|trade-in|old car|used car|trade|my old|part exchange|part-exchange|swap my car|value my car|what's my car worth|mileage|miles on it|what you'd give me|toward the new one|take my old|buy my car|sell you my"},
	{"CAR", "车|车子|汽车|车型|顶配|配置|电车|新能源|油车|混动|越野|轿车|这款|那款|新款|老款|中配|低配",
		"car|vehicle|truck|suv|hybrid|electric|ev|sedan|model year"},
	{"INSURANCE", "保险|医保|社保|报销|商业保险|牙科保险|报多少|能报|自费",
		"insurance|covered|cover|in network|network|copay|aetna|cigna|medicaid|delta dental|plan|ppo|hmo|benefits|out of pocket|coverage|medicare|blue cross|united healthcare|humana|metlife|guardian|insurer|provider network|bupa|bill them|bill my insurer|direct billing|nhs|member id|card on file|aarp|health scheme|claimable|health fund|private health|my provider|reimbursed|deductible"},
	{"DATA_PLAN", "套餐|流量|话费|通话|分钟|无限|家庭套餐|合约",
		"plan|data|unlimited|gigs|minutes|tier|family plan|premium|package|bundle|deal|deals|contract|tariff|international calling|more data|better package|international roaming|throttled|go up a level|hotspot|unlimited options|bump up|never get throttled|allowance|next level up|family bundles|gigabytes|5g"},
	{"BILL", "账单|话费|费用|扣费|余额|欠多少|账户余额|月租|扣了多少|每个月扣",
		"bill|statement|charge|charges|fee|roaming|owe|due|balance|what am i paying|break down|breakdown|paying for each month|monthly charge|this month's|invoice|on my account|autopay|go through|went through|what's that for|don't recognise|don't recognize|paying more|more this month|come out of my account|what's this|late fee|bill's ready|my bill's|billing cycle|premium sms|gone up|price rise|bill jumped|being charged for|roaming charges|on my statement|deadline to pay|device protection|monthly amount"},
	{"STYLE", "颜色|色|黑色|白色|红色|蓝色|黑的|白的|红的|尺码|码|大号|小号|型号|款|尺寸|大一点|小一点|瓶|规格|l的|m的|s的|xl|256g|128g|豪华版|版本|灰的|灰色|绿色|粉色|那款|口味|原味|麻辣|味的|pro版|版的|标准版|max|数量|m号|l号|s号",
		"color|colour|size|black|white|red|blue|large|small|medium|model|version"},
	{"PAY_METHOD", "付款|支付|花呗|信用卡|微信|支付宝|现金|到付|货到付款|刷卡|先用后付|账户|给钱|白条|京东白条|分期付款|云闪付|银联|对公|转账|扫码|刷卡吗|帮我付|代付|找人代付|亲友代付|储蓄卡|借记卡|刷储蓄卡|定金|到货再付|先付一半|尾款|礼品卡|抵扣|购物卡|优惠券|分六个月|开通",
		"credit card|cash|paypal|card|debit|pay with|pay by|apple pay|google pay|klarna|afterpay|bank transfer|check|cheque"},
	{"CLINIC_GO", "诊所|医院|门诊",
		"office|clinic|dentist|receptionist|leave my car"},
	{"LEAVE_PROVIDER", "携号转网|换运营商|销户|停机|退网|不用你们|换别家|换家|转网|违约金",
		"switching providers|another carrier|porting|port|leaving for|close my account|disconnect|shut off|get out of|out of this contract|out of my contract|early exit|exit fee|early termination|i'm leaving|cheaper deal elsewhere|found a cheaper|done with you|going with|moving to|not renewing|won't renew|that's it for me|quit you|kill the|drop the second line|drop a line|drop the line|moving abroad|done with the plan|termination|stop my plan|runs out|emigrating|getting rid of|close the line|comot|want out of the contract|cancel my plan|deactivate|too expensive already|terminate|pac code|get out now|shut that one off|leaving you|end it|going over to|finished with you|get rid of the service|won't be renewing|quit you guys|kill the data plan|contract's up|contract runs out"},
	{"MORE", "更多|多一点|大一点|升级|加|加流量|多点流量|流量不够|不够用|提速|5g|加一条|副卡|不限量|无限流量|家庭套餐|多一张卡|加一张卡|再办一张",
		"more|bigger|upgrade|better|add|extra|next tier|more data|faster|5g|add a line|better deal|bigger plan|premium|not enough data|run out of data|runs out|no limit|unlimited|no cap|a line too|another line|extra line|family package|family plan|add roaming|roaming|more minutes|go up to|gig one|bigger one|five g|5g plans|enhance my package|data is finishing|finishing before"},
}

// negators open a negation over the next word or two.
const zhNegators = "不没别甭莫勿未无"

// zhNegationBridge are words that may stand between a negator and what it
// negates: 不太需要, 不是很想, 没怎么用, 别再打.
var zhNegationBridge = []string{"太", "很", "怎么", "是很", "大", "是太", "再", "用", "想", "要", "都", "也", "是", "给", "跟", "和", "有", "怎么有", "太有"}

var enNegators = map[string]bool{"not": true, "no": true, "never": true, "don't": true, "doesn't": true, "didn't": true, "isn't": true, "aren't": true, "wasn't": true, "can't": true, "won't": true, "nothing": true, "nobody": true, "neither": true, "nor": true, "without": true}
