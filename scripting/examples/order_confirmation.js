// E-commerce order confirmation (Chinese): confirm the order, offer a
// price answer, handle objections and callbacks.
export default {
  start: "greeting",
  lang: "zh-CN",
  intents: {
    price: ["多少钱", "价格", "价钱", "how much"],
    address: ["地址", "送到哪", "收货地址", "改地址"],
  },
  fallback: { say: "抱歉,我没听清,您能再说一遍吗?", retries: 2, end: "no_understanding" },
  states: {
    greeting: {
      say: c => `您好${c.contact.name},这里是某某商城,您购买的${c.contact.item}已经打包好了,想跟您确认一下订单,现在发货可以吗?`,
      emotion: "happy",
      on: {
        affirm: "confirm",
        deny: "objection",
        later: "callback",
        price: c => (c.contact.vip ? "vip_price" : "price"),
        address: "address",
        wrong_number: "wrong_person",
      },
    },
    price: {
      say: "这单的金额是${c.contact.amount}元,确认发货吗?",
      on: { affirm: "confirm", deny: "objection", later: "callback" },
    },
    vip_price: {
      say: c => `您是我们的会员,这单已经按会员价${Math.round(c.contact.amount * 0.9)}元结算,确认发货吗?`,
      on: { affirm: "confirm", deny: "objection", later: "callback" },
    },
    address: {
      say: "收货地址是${c.contact.city},没问题的话我就为您发货了,可以吗?",
      on: { affirm: "confirm", deny: "agent" },
    },
    objection: {
      say: c => {
        c.vars.objections = (c.vars.objections || 0) + 1;
        return "好的,请问是对订单哪里不满意吗?需要帮您取消订单,还是转人工客服处理?";
      },
      emotion: "apologetic",
      on: { affirm: "cancelled", deny: "cancelled", human: "agent", complaint: "agent" },
      default: "cancelled",
    },
    confirm: { say: "好的,已为您确认,今天就安排发货,祝您生活愉快!", end: "confirmed", tags: ["converted"] },
    cancelled: { say: "好的,已为您登记,稍后会有专人联系您处理,再见。", end: "cancelled", tags: ["churn_risk"] },
    callback: { say: "好的,我们稍后再联系您,再见。", end: "callback", callbackIn: "2h" },
    wrong_person: { say: "抱歉打扰您了,再见。", end: "wrong_number" },
    agent: { say: "正在为您转接人工客服,请稍候。", transfer: "agent" },
  },
};
