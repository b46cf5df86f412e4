-- A voided bid stays voided: the mark can be set once, never cleared or rewritten.
CREATE TRIGGER bids_void_is_final
BEFORE UPDATE OF voided_at, voided_by, void_reason ON bids
WHEN OLD.voided_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a voided bid stays voided');
END;
