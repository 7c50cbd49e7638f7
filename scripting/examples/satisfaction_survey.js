// Satisfaction survey (English): ask for a 1-5 rating, follow up on low
// scores, and thank the customer.
export default {
  start: "intro",
  lang: "en",
  intents: {
    rating: ["one", "two", "three", "four", "five", "out of five", "i'd give it", "i would rate"],
  },
  fallback: { say: "Sorry, could you give me a number from 1 to 5?", retries: 2, end: "no_understanding" },
  states: {
    intro: {
      say: "Hi ${c.contact.name}, this is Acme calling about your recent order. Do you have one minute for two quick questions?",
      emotion: "happy",
      on: { affirm: "rate", later: "callback", deny: "bye" },
    },
    rate: {
      say: "On a scale from 1 to 5, how satisfied are you with your order?",
      on: {
        rating: c => score(c),
        affirm: c => score(c),
        complaint: "low",
      },
      default: c => score(c),
    },
    low: {
      say: "I'm sorry to hear that. What went wrong?",
      emotion: "apologetic",
      on: { default: c => { c.vars.comment = c.text; return "thanks_low"; } },
    },
    high: {
      say: "Wonderful, thank you! Would you recommend us to a friend?",
      on: { affirm: c => { c.vars.recommend = true; return "thanks"; }, deny: c => { c.vars.recommend = false; return "thanks"; } },
      default: "thanks",
    },
    thanks_low: { say: "Thank you, a manager will look into it personally.", end: "completed", tags: ["detractor"] },
    thanks: { say: c => `Thanks for rating us ${c.vars.score} out of 5. Have a great day!`, end: "completed", tags: ["promoter"] },
    callback: { say: "No problem, we'll call you back later. Goodbye!", end: "callback", callbackIn: "1d" },
    bye: { say: "No problem. Have a nice day!", end: "declined" },
  },
};

// score reads a 1-5 rating from the slots (or a spelled-out number) and
// picks the next state; null means "not understood" and goes to fallback.
function score(c) {
  const words = { one: 1, two: 2, three: 3, four: 4, five: 5 };
  let n = c.slots.number;
  if (n === undefined) {
    for (const w of c.text.toLowerCase().split(/\W+/)) if (words[w]) n = words[w];
  }
  if (!(n >= 1 && n <= 5)) return null;
  c.vars.score = n;
  return n <= 3 ? "low" : "high";
}
