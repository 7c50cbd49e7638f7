// Car test-drive invitation (Chinese): invite a lead to a test drive,
// book a time from what they say, and word the offer by segment.
export default {
  start: "invite",
  lang: "zh-CN",
  intents: {
    which_model: ["什么车", "哪款车", "什么车型", "哪个型号"],
    where: ["在哪", "地址", "哪个店", "怎么去"],
  },
  fallback: { say: "不好意思,我没听清,您看这周末方便来试驾吗?", retries: 2, end: "no_understanding" },
  states: {
    invite: {
      say: c =>
        c.segment === "vip"
          ? `${c.contact.name}您好,我是某某汽车的顾问。作为老车主,我们为您预留了新款${c.contact.model}的专属试驾,还有置换补贴,您这周方便来店里体验一下吗?`
          : `${c.contact.name}您好,我是某某汽车的顾问。看到您关注了${c.contact.model},我们这周有试驾活动,您方便来店里体验一下吗?`,
      emotion: "happy",
      on: {
        affirm: "ask_time",
        later: c => (c.slots.datetime ? "booked" : "ask_time"),
        which_model: "model_info",
        where: "store_info",
        deny: "decline",
      },
    },
    model_info: {
      say: "是新款${c.contact.model},这次试驾还送一次免费保养。您想约哪天来呢?",
      on: { affirm: "ask_time", later: c => (c.slots.datetime ? "booked" : "ask_time"), deny: "decline" },
    },
    store_info: {
      say: "我们的门店在${c.contact.store},停车方便。您想约哪天来呢?",
      on: { affirm: "ask_time", later: c => (c.slots.datetime ? "booked" : "ask_time"), deny: "decline" },
    },
    ask_time: {
      say: "太好了,您看哪天几点方便呢?比如周六上午十点。",
      on: {
        later: c => (c.slots.datetime ? "booked" : "ask_time"),
        affirm: c => (c.slots.datetime ? "booked" : "ask_time"),
        deny: "decline",
      },
      default: c => (c.slots.datetime ? "booked" : null),
    },
    booked: {
      say: c => {
        c.vars.appointment = c.slots.datetime;
        const [date, time] = [c.slots.date, c.slots.time];
        return `好的,已为您预约${date || "当天"}${time ? " " + time : ""}的试驾,届时会有短信提醒,期待您的到来!`;
      },
      end: "test_drive_booked",
      tags: ["converted"],
    },
    decline: { say: "好的,不打扰您了,之后有活动再通知您,再见。", end: "declined" },
    agent: { say: "正在为您转接销售顾问。", transfer: "sales" },
  },
};
