package telephony

const clockNanosleepNR = 115
