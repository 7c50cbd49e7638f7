package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/outcall/outcall/scripting"
)

// PromptRenderer makes a published version's prompts in the tenant's
// voice; *calls.Service is one.
type PromptRenderer interface {
	RenderPrompts(ctx context.Context, tenantID, versionID uuid.UUID) (int, error)
}

// RenderPromptsWorker makes a published version's prompts before its first
// call. Without a renderer in this process it leaves them to their first
// use.
type RenderPromptsWorker struct {
	river.WorkerDefaults[scripting.RenderPromptsArgs]
	Prompts PromptRenderer
	Logger  *slog.Logger
}

// Timeout allows for a long script in a slow voice.
func (w *RenderPromptsWorker) Timeout(*river.Job[scripting.RenderPromptsArgs]) time.Duration {
	return 10 * time.Minute
}

// Work renders the prompts.
func (w *RenderPromptsWorker) Work(ctx context.Context, job *river.Job[scripting.RenderPromptsArgs]) error {
	if w.Prompts == nil {
		return nil
	}
	n, err := w.Prompts.RenderPrompts(ctx, job.Args.TenantID, job.Args.VersionID)
	if err != nil {
		return err
	}
	w.Logger.InfoContext(ctx, "prompts rendered in the tenant's voice", slog.String("tenant", job.Args.TenantID.String()),
		slog.String("version", job.Args.VersionID.String()), slog.Int("sentences", n))
	return nil
}
