package tenants

import "fmt"

// Role is what a user or API key may do within its tenant.
type Role string

const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleViewer   Role = "viewer"
	// RoleAgent is a person who takes calls at the agent desk and sees
	// nothing else: the weakest role.
	RoleAgent Role = "agent"
)

// Roles lists every role, strongest first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleOperator, RoleViewer, RoleAgent}

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 5
	case RoleAdmin:
		return 4
	case RoleOperator:
		return 3
	case RoleViewer:
		return 2
	case RoleAgent:
		return 1
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is as strong as min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.Valid() }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q (want owner, admin, operator, viewer or agent)", s)
	}
	return r, nil
}
