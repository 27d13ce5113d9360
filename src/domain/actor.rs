//! Who acts: the signed-in caller as every service sees it, whatever door it came through (an
//! access JWT, an API token or a console session), and the roles of the registry. The HTTP side
//! (`auth/`) turns a request into an [`Actor`]; services check rights on it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codes;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    OrgAdmin,
    OrgMember,
    Regulator,
    Sysadmin,
    /// A marketplace or another machine client: created by a sysadmin, belongs to no organization,
    /// acts through API tokens of its own (subscriptions, webhooks, verification).
    Partner,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::OrgAdmin, Role::OrgMember, Role::Regulator, Role::Sysadmin, Role::Partner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::OrgAdmin => "org_admin",
            Role::OrgMember => "org_member",
            Role::Regulator => "regulator",
            Role::Sysadmin => "sysadmin",
            Role::Partner => "partner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_org(self) -> bool {
        matches!(self, Role::OrgAdmin | Role::OrgMember)
    }
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    pub organization_id: Option<Uuid>,
    /// Regulators: their division code (500000 = all of Chongqing).
    pub jurisdiction: Option<String>,
    /// Set when the caller used an API token (acting for its organization).
    pub api_token_id: Option<Uuid>,
}

/// The caller is not a member of an organization (answered as 403).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("仅限企业或社会团体用户")]
pub struct NotAnOrganization;

impl Actor {
    /// The caller's organization (org roles only).
    pub fn org_id(&self) -> Result<Uuid, NotAnOrganization> {
        self.organization_id.ok_or(NotAnOrganization)
    }

    /// Whether a regulator's jurisdiction covers a division code; sysadmins cover everything.
    pub fn covers(&self, division_code: &str) -> bool {
        match (self.role, &self.jurisdiction) {
            (Role::Sysadmin, _) => true,
            (Role::Regulator, Some(j)) => codes::in_jurisdiction(j, division_code),
            _ => false,
        }
    }

    /// The jurisdiction prefix of a regulator (`50`, `5001`, `500103`).
    pub fn jurisdiction_prefix(&self) -> Option<&str> {
        self.jurisdiction.as_deref().map(codes::division_prefix)
    }
}
