-- Withdrawal is refused while a declaration is under supervision (an open inspection, an active
-- rectification_ordered / overdue flag): the check looks inspections up by declaration.
CREATE INDEX inspections_declaration_idx ON inspections (declaration_id, status);
