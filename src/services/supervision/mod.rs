//! Supervision after declaration (事中事后监督): spot-check campaigns with a reproducible double-random
//! draw, inspections with findings and rectification, the overdue job, and public reports.

pub mod campaigns;
pub mod inspections;

/// Days after the result by which rectification is due when the inspector gives no date.
pub const DEFAULT_RECTIFICATION_WORKING_DAYS: u32 = 20;
