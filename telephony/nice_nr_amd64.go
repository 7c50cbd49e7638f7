package telephony

const clockNanosleepNR = 230
