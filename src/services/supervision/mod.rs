//! Supervision after declaration (事中事后监督): spot-check campaigns with a reproducible double-random
//! draw, inspections with findings and rectification, the overdue job, and public reports.

pub mod campaigns;
pub mod inspections;
pub mod rectification;
pub mod report;
