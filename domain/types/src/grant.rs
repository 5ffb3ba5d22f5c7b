use serde::{Deserialize, Serialize};

use crate::Role;

/// A role with the scope it needs (DOMAIN.md §2). Built only through
/// [`Grant::new`], so a grant held anywhere has a complete, consistent scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    role: Role,
    program_id: Option<String>,
    region_codes: Vec<String>,
    enterprise_id: Option<String>,
    provider_id: Option<String>,
}

/// Why a grant's scope does not fit its role. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("role {role} needs a program_id")]
    ProgramRequired { role: Role },
    #[error("role {role} is not bounded by a programme; drop program_id")]
    ProgramNotAllowed { role: Role },
    #[error("role county_admin needs at least one region code")]
    RegionsRequired,
    #[error("role {role} takes no region codes")]
    RegionsNotAllowed { role: Role },
    #[error("role enterprise needs an enterprise_id")]
    EnterpriseRequired,
    #[error("role {role} takes no enterprise_id")]
    EnterpriseNotAllowed { role: Role },
    #[error("role provider needs a provider_id")]
    ProviderRequired,
    #[error("role {role} takes no provider_id")]
    ProviderNotAllowed { role: Role },
}

impl GrantError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            GrantError::ProgramRequired { .. } | GrantError::ProgramNotAllowed { .. } => {
                "program_id"
            }
            GrantError::RegionsRequired | GrantError::RegionsNotAllowed { .. } => "region_codes",
            GrantError::EnterpriseRequired | GrantError::EnterpriseNotAllowed { .. } => {
                "enterprise_id"
            }
            GrantError::ProviderRequired | GrantError::ProviderNotAllowed { .. } => "provider_id",
        }
    }
}

impl Grant {
    /// Checks that the scope fields are exactly those the role needs:
    /// programme roles name their programme, a county_admin also its regions,
    /// enterprise and provider users their organisation; nothing more.
    pub fn new(
        role: Role,
        program_id: Option<String>,
        mut region_codes: Vec<String>,
        enterprise_id: Option<String>,
        provider_id: Option<String>,
    ) -> Result<Self, GrantError> {
        match (role.is_program_scoped(), &program_id) {
            (true, None) => return Err(GrantError::ProgramRequired { role }),
            (false, Some(_)) => return Err(GrantError::ProgramNotAllowed { role }),
            _ => {}
        }
        match (role, region_codes.is_empty()) {
            (Role::CountyAdmin, true) => return Err(GrantError::RegionsRequired),
            (Role::CountyAdmin, false) => {}
            (_, false) => return Err(GrantError::RegionsNotAllowed { role }),
            (_, true) => {}
        }
        match (role, &enterprise_id) {
            (Role::Enterprise, None) => return Err(GrantError::EnterpriseRequired),
            (Role::Enterprise, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(GrantError::EnterpriseNotAllowed { role }),
        }
        match (role, &provider_id) {
            (Role::Provider, None) => return Err(GrantError::ProviderRequired),
            (Role::Provider, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(GrantError::ProviderNotAllowed { role }),
        }
        region_codes.sort();
        region_codes.dedup();
        Ok(Grant {
            role,
            program_id,
            region_codes,
            enterprise_id,
            provider_id,
        })
    }

    pub fn role(&self) -> Role {
        self.role
    }
    pub fn program_id(&self) -> Option<&str> {
        self.program_id.as_deref()
    }
    pub fn region_codes(&self) -> &[String] {
        &self.region_codes
    }
    pub fn enterprise_id(&self) -> Option<&str> {
        self.enterprise_id.as_deref()
    }
    pub fn provider_id(&self) -> Option<&str> {
        self.provider_id.as_deref()
    }

    /// Whether this grant lets its holder see programme `program_id` at all.
    /// Platform admins see every programme; enterprise, provider and sync
    /// users deal with national entities and may browse every programme
    /// (they apply to them); programme roles see only their own.
    pub fn sees_program(&self, program_id: &str) -> bool {
        match self.program_id.as_deref() {
            Some(own) => own == program_id,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn county_admin_needs_programme_and_regions() {
        assert_eq!(
            Grant::new(Role::CountyAdmin, s("p"), vec![], None, None),
            Err(GrantError::RegionsRequired)
        );
        assert_eq!(
            Grant::new(Role::CountyAdmin, None, vec!["640122".into()], None, None),
            Err(GrantError::ProgramRequired {
                role: Role::CountyAdmin
            })
        );
        let g = Grant::new(
            Role::CountyAdmin,
            s("p"),
            vec!["b".into(), "a".into(), "b".into()],
            None,
            None,
        )
        .unwrap();
        assert_eq!(g.region_codes(), ["a", "b"]);
    }

    #[test]
    fn enterprise_and_provider_need_their_organisation() {
        assert_eq!(
            Grant::new(Role::Enterprise, None, vec![], None, None),
            Err(GrantError::EnterpriseRequired)
        );
        assert_eq!(
            Grant::new(Role::Provider, None, vec![], None, None),
            Err(GrantError::ProviderRequired)
        );
        assert_eq!(
            Grant::new(Role::Enterprise, s("p"), vec![], s("e"), None),
            Err(GrantError::ProgramNotAllowed {
                role: Role::Enterprise
            })
        );
        assert_eq!(
            Grant::new(Role::CityAdmin, s("p"), vec![], None, s("x"))
                .unwrap_err()
                .field(),
            "provider_id"
        );
    }

    #[test]
    fn programme_roles_see_only_their_programme() {
        let g = Grant::new(Role::CityAdmin, s("jinan"), vec![], None, None).unwrap();
        assert!(g.sees_program("jinan"));
        assert!(!g.sees_program("yinchuan"));
        let admin = Grant::new(Role::PlatformAdmin, None, vec![], None, None).unwrap();
        assert!(admin.sees_program("yinchuan"));
    }

    proptest! {
        /// Whatever the input, a built grant carries exactly the scope its
        /// role needs.
        #[test]
        fn built_grants_are_consistent(
            role_ix in 0usize..Role::ALL.len(),
            program in proptest::option::of("[a-z]{1,4}"),
            regions in proptest::collection::vec("[0-9]{6}", 0..3),
            enterprise in proptest::option::of("[a-z]{1,4}"),
            provider in proptest::option::of("[a-z]{1,4}"),
        ) {
            let role = Role::ALL[role_ix];
            if let Ok(g) = Grant::new(role, program, regions, enterprise, provider) {
                prop_assert_eq!(g.program_id().is_some(), role.is_program_scoped());
                prop_assert_eq!(!g.region_codes().is_empty(), role == Role::CountyAdmin);
                prop_assert_eq!(g.enterprise_id().is_some(), role == Role::Enterprise);
                prop_assert_eq!(g.provider_id().is_some(), role == Role::Provider);
            }
        }
    }
}
