package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/outcall/outcall/tenants"
)

// UserBody describes a person of a tenant.
type UserBody struct {
	ID            uuid.UUID  `json:"id"`
	Email         string     `json:"email" example:"ops@example.com"`
	Name          string     `json:"name" example:"王经理"`
	Role          string     `json:"role" enum:"owner,admin,operator,viewer,agent"`
	Invited       bool       `json:"invited" doc:"True until the person accepts the invitation."`
	CreatedAt     time.Time  `json:"created_at"`
	LastLoginAt   *time.Time `json:"last_login_at,omitempty"`
	EmailVerified bool       `json:"email_verified" doc:"True once the person opened the verification link mailed to them (when this outcall sends mail)."`
}

func userBody(u *tenants.User) UserBody {
	return UserBody{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Invited: u.Invited, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt,
		EmailVerified: u.EmailVerified}
}

type userPath struct {
	UserID uuid.UUID `path:"user_id" doc:"The user's id."`
}

type listUsersInput struct {
	PageInput
	Role string `query:"role" enum:"owner,admin,operator,viewer,agent," doc:"Only users with this role."`
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
		Role     string `json:"role" enum:"owner,admin,operator,viewer,agent" example:"operator"`
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
		Role string `json:"role" enum:"owner,admin,operator,viewer,agent"`
	}
}

// registerUsers adds the operations on the people of a tenant.
func (s *Server) registerUsers() {
	read, manage := requires("account:read"), requires("account:manage")
	s.register("Users", authErrors, []operation{
		{id: "list-users", route: "GET /v1/users", summary: "List users", security: read, errs: []int{http.StatusUnprocessableEntity},
			desc: "The tenant's people, oldest first.", handler: handle(s.listUsers)},
		{id: "add-user", route: "POST /v1/users", status: http.StatusCreated, summary: "Add or invite a user", security: manage, errs: []int{http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Adds a person with a role. With a password they can log in at once; without, the answer carries an invitation token. Needs the admin role; only owners add owners.", handler: handle(s.addUser)},
		{id: "get-user", route: "GET /v1/users/{user_id}", summary: "Get a user", security: read, errs: []int{http.StatusNotFound}, handler: handle(s.getUser)},
		{id: "change-user-role", route: "PATCH /v1/users/{user_id}", summary: "Change a user's role", security: manage, errs: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
			desc: "Needs the admin role; only owners make or unmake owners, and a tenant keeps at least one owner.", handler: handle(s.changeUserRole)},
		{id: "remove-user", route: "DELETE /v1/users/{user_id}", status: http.StatusNoContent, summary: "Remove a user", security: manage, errs: []int{http.StatusNotFound, http.StatusConflict},
			desc: "Deletes the user and ends their sessions. Needs the admin role; only owners remove owners, and a tenant keeps at least one owner.", handler: handle(s.removeUser)},
	})
}

func (s *Server) listUsers(ctx context.Context, in *listUsersInput) (*listUsersOutput, error) {
	out := &listUsersOutput{}
	users := func(limit int, after *uuid.UUID) ([]tenants.User, error) {
		return s.tenants.ListUsers(ctx, principal(ctx), tenants.ListUsersRequest{Limit: limit, After: after, Role: tenants.Role(in.Role)})
	}
	if err := listPage(s, ctx, in.PageInput, users, func(u *tenants.User) uuid.UUID { return u.ID }, userBody, &out.Body.Items, &out.Body.NextCursor); err != nil {
		return nil, err
	}
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

func (s *Server) getUser(ctx context.Context, in *userPath) (*output[UserBody], error) {
	u, err := s.tenants.GetUser(ctx, principal(ctx), in.UserID)
	return reply(s, ctx, userBody, u, err)
}

func (s *Server) changeUserRole(ctx context.Context, in *changeRoleInput) (*output[UserBody], error) {
	u, err := s.tenants.ChangeRole(ctx, principal(ctx), in.UserID, tenants.Role(in.Body.Role))
	return reply(s, ctx, userBody, u, err)
}

func (s *Server) removeUser(ctx context.Context, in *userPath) (*struct{}, error) {
	if err := s.tenants.RemoveUser(ctx, principal(ctx), in.UserID); err != nil {
		return nil, s.problem(ctx, err)
	}
	return nil, nil
}
