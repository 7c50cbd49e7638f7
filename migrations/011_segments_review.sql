-- Review of calls that heard or said a sensitive word: which words were hit
-- (turn, heard or said), and a person's verdict. A call closed with the tag
-- review_required starts as pending; a reviewer approves or flags it.

ALTER TABLE calls
    ADD COLUMN sensitive_hits jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN review_status text CHECK (review_status IN ('pending', 'approved', 'flagged')),
    -- The reviewer: a user through the portal, or an API key.
    ADD COLUMN reviewer_user_id uuid,
    ADD COLUMN reviewer_key_id uuid,
    ADD COLUMN review_note text NOT NULL DEFAULT '',
    ADD COLUMN reviewed_at timestamptz;

-- The review queue: a tenant's pending calls, newest first.
CREATE INDEX calls_review_idx ON calls (tenant_id, review_status, created_at DESC, id DESC) WHERE review_status IS NOT NULL;

---- create above / drop below ----

DROP INDEX IF EXISTS calls_review_idx;
ALTER TABLE calls
    DROP COLUMN IF EXISTS reviewed_at,
    DROP COLUMN IF EXISTS review_note,
    DROP COLUMN IF EXISTS reviewer_key_id,
    DROP COLUMN IF EXISTS reviewer_user_id,
    DROP COLUMN IF EXISTS review_status,
    DROP COLUMN IF EXISTS sensitive_hits;
