// Package examples holds the example dialog scripts that ship with outcall:
// an e-commerce order confirmation, a payment reminder and a car test-drive
// invitation in Chinese, and a satisfaction survey in English. `outcall dev`
// seeds the demo tenant with them; the scripting tests run each through
// simulated conversations.
package examples

import "embed"

// FS holds the *.js example scripts.
//
//go:embed *.js
var FS embed.FS
