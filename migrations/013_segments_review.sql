-- Review of calls that heard or said a sensitive word, and segmentation of
-- campaigns. A call records which sensitive words were hit (turn, heard or
-- said) and a person's verdict: a call closed with the tag review_required
-- starts as pending; a reviewer approves or flags it.

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

-- Segmentation of a campaign's contacts at start: the tenant's published
-- segmentation rules (script and version number) put each contact in a
-- segment (campaign_contacts.segment, which segment_versions maps to a
-- script version); with a segment_filter, contacts of other segments are
-- enrolled as dropped with last_reason segment_filtered, and contacts
-- whose rule failed as dropped with segment_error. segment_errors counts
-- those failures; segment_error_sample keeps the first few for people.
ALTER TABLE campaigns
    ADD COLUMN segment_script_id uuid,
    ADD COLUMN segment_script_version int CHECK (segment_script_version > 0),
    ADD COLUMN segment_filter text[] NOT NULL DEFAULT '{}',
    ADD COLUMN segment_errors int NOT NULL DEFAULT 0,
    ADD COLUMN segment_error_sample jsonb NOT NULL DEFAULT '[]',
    ADD CONSTRAINT campaigns_segment_rules_check CHECK ((segment_script_id IS NULL) = (segment_script_version IS NULL));

---- create above / drop below ----

ALTER TABLE campaigns
    DROP CONSTRAINT IF EXISTS campaigns_segment_rules_check,
    DROP COLUMN IF EXISTS segment_error_sample,
    DROP COLUMN IF EXISTS segment_errors,
    DROP COLUMN IF EXISTS segment_filter,
    DROP COLUMN IF EXISTS segment_script_version,
    DROP COLUMN IF EXISTS segment_script_id;

DROP INDEX IF EXISTS calls_review_idx;
ALTER TABLE calls
    DROP COLUMN IF EXISTS reviewed_at,
    DROP COLUMN IF EXISTS review_note,
    DROP COLUMN IF EXISTS reviewer_key_id,
    DROP COLUMN IF EXISTS reviewer_user_id,
    DROP COLUMN IF EXISTS review_status,
    DROP COLUMN IF EXISTS sensitive_hits;
