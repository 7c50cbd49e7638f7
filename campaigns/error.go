package campaigns

import "github.com/outcall/outcall/tenants"

// FieldError is tenants.FieldError: an EInvalid error about one input.
func FieldError(field, format string, args ...any) error {
	return tenants.FieldError(field, format, args...)
}

func notFound(what string) error {
	return tenants.Errorf(tenants.ENotFound, "no such %s", what)
}

func conflict(format string, args ...any) error {
	return tenants.Errorf(tenants.EConflict, format, args...)
}
