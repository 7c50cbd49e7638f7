// Payment reminder (Chinese): remind a customer of an overdue bill, record
// the day they promise to pay, and hand disputes to a person.
export default {
  start: "reminder",
  lang: "zh-CN",
  // The promised day goes onto the contact, for the next campaign's rules.
  saveToContact: ["promiseDate"],
  // With a language model in the speech settings, the reminder asks it when
  // the built-in understanding is unsure (see the reminder state's llm).
  llm: { system: "你是某某银行信用卡中心的还款提醒助手,语气礼貌、简短,不催促、不威胁。" },
  intents: {
    paid: ["已经还了", "还过了", "已经交了", "交过了", "昨天还了", "已经付了"],
    promise: ["我会还", "马上还", "今天还", "明天还", "下周还", "过几天还", "发工资就还"],
    hardship: ["没钱", "还不上", "手头紧", "困难", "能不能分期", "延期"],
    dispute: ["不是我欠的", "金额不对", "账单有问题", "我没借过"],
  },
  fallback: { say: "不好意思,我没听清楚,您方便什么时候还款呢?", retries: 2, end: "no_understanding" },
  states: {
    reminder: {
      say: c => `您好${c.contact.name},这里是某某银行信用卡中心。您尾号${String(c.contact.card).slice(-4)}的账单本期应还${c.contact.due}元,已经逾期${c.contact.overdueDays}天了,请问您什么时候方便还款呢?`,
      emotion: "urgent",
      on: {
        paid: "already_paid",
        promise: c => (c.slots.date ? "promised" : "ask_date"),
        later: c => (c.slots.date ? "promised" : "ask_date"),
        affirm: "ask_date",
        hardship: "hardship",
        dispute: "agent",
        complaint: "agent",
        deny: "consequence",
      },
      llm: { classify: true, reply: "回答客户关于账单和还款方式的疑问(不报出新的金额或日期),然后请客户说出哪天还款", budget: "1500ms" },
    },
    ask_date: {
      say: "好的,请问您具体哪天可以还款呢?",
      on: {
        promise: c => (c.slots.date ? "promised" : "ask_date"),
        later: c => (c.slots.date ? "promised" : "ask_date"),
        affirm: "ask_date",
        hardship: "hardship",
        paid: "already_paid",
      },
    },
    promised: {
      say: c => {
        c.vars.promiseDate = c.slots.date;
        return `好的,已为您记录${c.slots.date}还款,请通过官方App或柜台按时还款,感谢您的配合,再见。`;
      },
      end: "promised_to_pay",
      tags: ["promise"],
    },
    consequence: {
      say: "理解您的情况。逾期会影响您的信用记录,建议尽快处理。请问您哪天可以还款呢?",
      emotion: "apologetic",
      on: {
        promise: c => (c.slots.date ? "promised" : "ask_date"),
        later: c => (c.slots.date ? "promised" : "ask_date"),
        affirm: "ask_date",
        hardship: "hardship",
      },
      default: "agent",
    },
    hardship: { say: "明白,我为您转接专员,看看能否办理分期或延期。", emotion: "apologetic", transfer: "collections" },
    already_paid: { say: "好的,可能系统还没有更新,我们会核实,打扰您了,再见。", end: "already_paid" },
    agent: { say: "好的,正在为您转接人工专员处理。", transfer: "collections" },
  },
};
