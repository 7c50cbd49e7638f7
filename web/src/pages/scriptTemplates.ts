// What a new script starts from: a small dialog that confirms an order, and
// segmentation rules that sort VIP contacts apart.
export const starterDialog = `// A dialog: the states, what each says, and where each intent leads.
// c.contact holds the contact's fields (name, phone and the CSV's columns).
export default {
  start: "greeting",
  lang: "zh-CN",
  intents: {
    price: ["多少钱", "价格", "how much"],
  },
  fallback: { say: "抱歉,我没听清,您能再说一遍吗?", retries: 2, end: "no_understanding" },
  states: {
    greeting: {
      say: c => \`您好\${c.contact.name || ""},这里是某某商城,想跟您确认一下订单,现在发货可以吗?\`,
      emotion: "happy",
      on: { affirm: "confirm", deny: "goodbye", later: "callback", price: "price" },
    },
    price: {
      say: "这单已按优惠价结算,确认发货吗?",
      on: { affirm: "confirm", deny: "goodbye", later: "callback" },
    },
    confirm: { say: "好的,已为您确认,今天就安排发货,祝您生活愉快!", end: "confirmed", tags: ["converted"] },
    callback: { say: "好的,我们稍后再联系您,再见。", end: "callback", callbackIn: "2h" },
    goodbye: { say: "好的,打扰您了,再见。", end: "declined" },
  },
};
`;

export const starterSegment = `// Segmentation rules: return the segment of one contact.
export function segment(contact) {
  if (contact.vip === true || contact.vip === "true") return "vip";
  return null;
}
`;
