//! How far a right reaches for one caller, and what an object offers to be
//! reached by. A [`Reach`] is the union of clauses the caller's grants give
//! for one right; a [`Target`] is an object's programme, region, enterprise,
//! providers, assignments and owner. [`Reach::contains`] decides a single
//! object, and persistence turns the same clauses into the WHERE of a list,
//! so a list shows exactly what a single read would (DOMAIN.md §2).

use crate::Role;

/// The clauses of one right for one caller; an object is reached when any
/// clause holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Everything (a platform admin; sync clients for national records).
    pub all: bool,
    /// Objects of these programmes.
    pub programmes: Vec<String>,
    /// Objects of a programme in one of its listed regions.
    pub regions: Vec<(String, Vec<String>)>,
    /// These enterprises and what belongs to them.
    pub enterprises: Vec<String>,
    /// These providers and what belongs to them or is served by them.
    pub providers: Vec<String>,
    /// Projects of a programme assigned to the caller in a role (and what
    /// belongs to those projects).
    pub assigned: Vec<(String, Role)>,
    /// Objects the caller owns.
    pub owned: bool,
    /// Objects no programme holds yet.
    pub unclaimed: bool,
    /// The caller, for `assigned` and `owned`.
    pub user: String,
}

/// What an object offers to be reached by; fields that do not apply stay
/// empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// Its programme (or the programmes whose pool or library holds it).
    pub programmes: Vec<&'a str>,
    pub region: Option<&'a str>,
    pub enterprise: Option<&'a str>,
    /// Its provider, or the providers serving it.
    pub providers: Vec<&'a str>,
    /// (programme, role, user) of every assignment to it.
    pub assigned: Vec<(&'a str, Role, &'a str)>,
    pub owner: Option<&'a str>,
}

impl Reach {
    /// A reach of nothing.
    pub fn none(user: &str) -> Self {
        Reach {
            user: user.to_owned(),
            ..Default::default()
        }
    }

    /// Whether no clause can ever hold (the caller lacks the right).
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.programmes.is_empty()
            && self.regions.is_empty()
            && self.enterprises.is_empty()
            && self.providers.is_empty()
            && self.assigned.is_empty()
            && !self.owned
            && !self.unclaimed
    }

    /// Whether the object is reached.
    pub fn contains(&self, t: &Target<'_>) -> bool {
        let in_programme = |p: &str| t.programmes.contains(&p);
        self.all
            || self.programmes.iter().any(|p| in_programme(p))
            || self.regions.iter().any(|(p, codes)| {
                in_programme(p) && t.region.is_some_and(|r| codes.iter().any(|c| c == r))
            })
            || t.enterprise
                .is_some_and(|e| self.enterprises.iter().any(|x| x == e))
            || t.providers
                .iter()
                .any(|p| self.providers.iter().any(|x| x == p))
            || self.assigned.iter().any(|(p, role)| {
                t.assigned
                    .iter()
                    .any(|(tp, tr, tu)| tp == p && tr == role && *tu == self.user)
            })
            || (self.owned && t.owner == Some(self.user.as_str()))
            || (self.unclaimed && t.programmes.is_empty())
    }

    /// Whether the object is reached whichever of its programmes, region,
    /// enterprise or providers it has: true for `all` and nothing else.
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// The programmes the reach touches through programme, region or
    /// assignment clauses; `None` when it is not bounded by programmes
    /// (all, or enterprise, provider and ownership clauses).
    pub fn programme_bound(&self) -> Option<Vec<&str>> {
        if self.all
            || !self.enterprises.is_empty()
            || !self.providers.is_empty()
            || self.owned
            || self.unclaimed
        {
            return None;
        }
        let mut ids: Vec<&str> = self
            .programmes
            .iter()
            .map(String::as_str)
            .chain(self.regions.iter().map(|(p, _)| p.as_str()))
            .chain(self.assigned.iter().map(|(p, _)| p.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target<'a>() -> Target<'a> {
        Target {
            programmes: vec!["p1"],
            region: Some("r1"),
            enterprise: Some("e1"),
            providers: vec!["v1"],
            assigned: vec![("p1", Role::Evaluator, "u1")],
            owner: Some("u9"),
        }
    }

    #[test]
    fn each_clause_reaches_on_its_own() {
        let t = target();
        let base = Reach::none("u1");
        assert!(!base.contains(&t));
        assert!(base.is_empty());
        let cases = [
            Reach {
                all: true,
                ..base.clone()
            },
            Reach {
                programmes: vec!["p1".into()],
                ..base.clone()
            },
            Reach {
                regions: vec![("p1".into(), vec!["r1".into()])],
                ..base.clone()
            },
            Reach {
                enterprises: vec!["e1".into()],
                ..base.clone()
            },
            Reach {
                providers: vec!["v1".into()],
                ..base.clone()
            },
            Reach {
                assigned: vec![("p1".into(), Role::Evaluator)],
                ..base.clone()
            },
            Reach {
                owned: true,
                user: "u9".into(),
                ..base.clone()
            },
        ];
        for r in cases {
            assert!(r.contains(&t), "{r:?}");
            assert!(!r.is_empty());
        }
    }

    #[test]
    fn a_clause_of_another_programme_region_role_or_user_does_not_reach() {
        let t = target();
        let base = Reach::none("u1");
        let misses = [
            Reach {
                programmes: vec!["p2".into()],
                ..base.clone()
            },
            Reach {
                regions: vec![("p1".into(), vec!["r2".into()])],
                ..base.clone()
            },
            Reach {
                regions: vec![("p2".into(), vec!["r1".into()])],
                ..base.clone()
            },
            Reach {
                assigned: vec![("p1".into(), Role::Auditor)],
                ..base.clone()
            },
            Reach {
                assigned: vec![("p2".into(), Role::Evaluator)],
                ..base.clone()
            },
            Reach {
                assigned: vec![("p1".into(), Role::Evaluator)],
                user: "u2".into(),
                ..base.clone()
            },
            Reach {
                owned: true,
                ..base.clone()
            },
            Reach {
                unclaimed: true,
                ..base.clone()
            },
        ];
        for r in misses {
            assert!(!r.contains(&t), "{r:?}");
        }
        let unclaimed = Target {
            programmes: vec![],
            ..target()
        };
        assert!(
            Reach {
                unclaimed: true,
                ..base
            }
            .contains(&unclaimed)
        );
    }

    #[test]
    fn only_programme_clauses_bound_a_reach_by_programme() {
        let r = Reach {
            programmes: vec!["b".into()],
            regions: vec![("a".into(), vec!["x".into()])],
            ..Reach::none("u")
        };
        assert_eq!(r.programme_bound(), Some(vec!["a", "b"]));
        let own = Reach {
            enterprises: vec!["e".into()],
            ..r
        };
        assert_eq!(own.programme_bound(), None);
    }
}
