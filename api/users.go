package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/outcall/outcall/tenants"
)

// UserBody describes a person of a tenant.
type UserBody struct {
	ID          uuid.UUID  `json:"id"`
	Email       string     `json:"email" example:"ops@example.com"`
	Name        string     `json:"name" example:"王经理"`
	Role        string     `json:"role" enum:"owner,admin,operator,viewer"`
	Invited     bool       `json:"invited" doc:"True until the person accepts the invitation."`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

func userBody(u *tenants.User) UserBody {
	return UserBody{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Invited: u.Invited, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt}
}

type userPath struct {
	UserID uuid.UUID `path:"user_id" doc:"The user's id."`
}

type listUsersInput struct {
	PageInput
	Role string `query:"role" enum:"owner,admin,operator,viewer," doc:"Only users with this role."`
}

type listUsersOutput struct {
	Body struct {
		Items      []UserBody `json:"items"`
		NextCursor string     `json:"next_cursor" doc:"Pass as cursor for the next page; empty on the last page."`
	}
}

type addUserInput struct {
	Body struct {
		Email    string `json:"email" format:"email" maxLength:"254" example:"agent@example.com"`
		Name     string `json:"name,omitempty" maxLength:"200" example:"李娜"`
		Role     string `json:"role" enum:"owner,admin,operator,viewer" example:"operator"`
		Password string `json:"password,omitempty" minLength:"10" maxLength:"200" doc:"Set a password now; leave it out to get an invitation token instead."`
	}
}

type addUserOutput struct {
	Body struct {
		User        UserBody `json:"user"`
		InviteToken string   `json:"invite_token,omitempty" doc:"Give it to the person; they set a password with POST /v1/invitations/accept. Shown once."`
	}
}

type changeRoleInput struct {
	UserID uuid.UUID `path:"user_id" doc:"The user's id."`
	Body   struct {
		Role string `json:"role" enum:"owner,admin,operator,viewer"`
	}
}

// registerUsers adds the operations on the people of a tenant.
func (s *Server) registerUsers() {
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-users", Method: http.MethodGet, Path: "/v1/users",
		Summary: "List users", Tags: []string{"Users"}, Security: requires("account:read"),
		Description: "The tenant's people, oldest first.",
		Errors:      append(errs, http.StatusUnprocessableEntity),
	}, s.listUsers)

	huma.Register(s.api, huma.Operation{
		OperationID: "add-user", Method: http.MethodPost, Path: "/v1/users", DefaultStatus: http.StatusCreated,
		Summary: "Add or invite a user", Tags: []string{"Users"}, Security: requires("account:manage"),
		Description: "Adds a person with a role. With a password they can log in at once; without, the answer carries an invitation token. Needs the admin role; only owners add owners.",
		Errors:      append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, s.addUser)

	huma.Register(s.api, huma.Operation{
		OperationID: "get-user", Method: http.MethodGet, Path: "/v1/users/{user_id}",
		Summary: "Get a user", Tags: []string{"Users"}, Security: requires("account:read"),
		Errors: append(errs, http.StatusNotFound),
	}, s.getUser)

	huma.Register(s.api, huma.Operation{
		OperationID: "change-user-role", Method: http.MethodPatch, Path: "/v1/users/{user_id}",
		Summary: "Change a user's role", Tags: []string{"Users"}, Security: requires("account:manage"),
		Description: "Needs the admin role; only owners make or unmake owners, and a tenant keeps at least one owner.",
		Errors:      append(errs, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity),
	}, s.changeUserRole)

	huma.Register(s.api, huma.Operation{
		OperationID: "remove-user", Method: http.MethodDelete, Path: "/v1/users/{user_id}", DefaultStatus: http.StatusNoContent,
		Summary: "Remove a user", Tags: []string{"Users"}, Security: requires("account:manage"),
		Description: "Deletes the user and ends their sessions. Needs the admin role; only owners remove owners, and a tenant keeps at least one owner.",
		Errors:      append(errs, http.StatusNotFound, http.StatusConflict),
	}, s.removeUser)
}

func (s *Server) listUsers(ctx context.Context, in *listUsersInput) (*listUsersOutput, error) {
	after, err := in.after()
	if err != nil {
		return nil, err
	}
	users, err := s.tenants.ListUsers(ctx, principal(ctx), tenants.ListUsersRequest{Limit: in.limit(), After: after, Role: tenants.Role(in.Role)})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &listUsersOutput{}
	out.Body.Items, out.Body.NextCursor = page(users, in.limit(), func(u *tenants.User) uuid.UUID { return u.ID }, userBody)
	return out, nil
}

func (s *Server) addUser(ctx context.Context, in *addUserInput) (*addUserOutput, error) {
	added, err := s.tenants.AddUser(ctx, principal(ctx), tenants.AddUserRequest{
		Email: in.Body.Email, Name: in.Body.Name, Role: tenants.Role(in.Body.Role), Password: in.Body.Password})
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	out := &addUserOutput{}
	out.Body.User = userBody(&added.User)
	out.Body.InviteToken = added.InviteToken
	return out, nil
}

func (s *Server) getUser(ctx context.Context, in *userPath) (*userOutput, error) {
	u, err := s.tenants.GetUser(ctx, principal(ctx), in.UserID)
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &userOutput{Body: userBody(u)}, nil
}

func (s *Server) changeUserRole(ctx context.Context, in *changeRoleInput) (*userOutput, error) {
	u, err := s.tenants.ChangeRole(ctx, principal(ctx), in.UserID, tenants.Role(in.Body.Role))
	if err != nil {
		return nil, s.problem(ctx, err)
	}
	return &userOutput{Body: userBody(u)}, nil
}

func (s *Server) removeUser(ctx context.Context, in *userPath) (*struct{}, error) {
	if err := s.tenants.RemoveUser(ctx, principal(ctx), in.UserID); err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, nil
}
