//! Who declares: an enterprise or a social organization (社会团体), as registered.

use super::coded::coded;

coded! {
    /// The kind of a registered organization.
    pub enum OrgKind {
        Enterprise = "enterprise" => "企业",
        SocialOrganization = "social_organization" => "社会团体",
    }
}
