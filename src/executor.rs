//! Runs a [`Plan`] as a dependency graph: every step whose predecessors are done starts at once,
//! up to a concurrency bound. After a failure or a Ctrl-C no new step starts; the steps in flight
//! finish.

use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::error::{Error, Result};
use crate::interrupt;
use crate::plan::{Action, Plan};

/// Runs every step of `plan` through `run`, respecting the plan's edges. Returns the indices of
/// the steps in the order they completed.
pub(crate) async fn execute<'a, F, Fut>(
    plan: &'a Plan,
    concurrency: usize,
    run: F,
) -> Result<Vec<usize>>
where
    F: Fn(&'a Action) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let steps = &plan.steps;
    let mut started = vec![false; steps.len()];
    let mut done = vec![false; steps.len()];
    let mut completed = Vec::with_capacity(steps.len());
    let mut failure = None;
    // An interrupt before the start (while another account executed) starts no step.
    let mut interrupted = interrupt::received();
    let mut signals = interrupt::subscribe();
    let _executing = interrupt::Executing::start();
    let mut in_flight = FuturesUnordered::new();
    loop {
        if failure.is_none() && !interrupted {
            for (index, step) in steps.iter().enumerate() {
                if in_flight.len() >= concurrency.max(1) {
                    break;
                }
                if !started[index] && step.after.iter().all(|&d| done[d]) {
                    started[index] = true;
                    let future = run(&step.action);
                    in_flight.push(async move { (index, future.await) });
                }
            }
        }
        let next = tokio::select! {
            next = in_flight.next() => next,
            () = interrupt::next(&mut signals), if !interrupted => {
                tracing::warn!("interrupted: finishing the {} calls in flight", in_flight.len());
                interrupted = true;
                continue;
            }
        };
        match next {
            None => break,
            Some((index, Ok(()))) => {
                done[index] = true;
                completed.push(index);
            }
            Some((_, Err(err))) => {
                failure.get_or_insert(err);
            }
        }
    }
    if interrupted && failure.is_none() && completed.len() < steps.len() {
        return Err(Error::Interrupted {
            done: completed.len(),
            total: steps.len(),
        });
    }
    if let Some(err) = failure {
        // What was done, in the plan's order (completion order varies from run to run).
        let mut done = completed.clone();
        done.sort_unstable();
        return Err(if completed.is_empty() {
            err
        } else {
            Error::Partial {
                source: Box::new(err),
                done: done.iter().map(|&i| steps[i].action.done()).collect(),
                total: steps.len(),
            }
        });
    }
    debug_assert_eq!(
        completed.len(),
        steps.len(),
        "plan edges point backwards only"
    );
    Ok(completed)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::plan::Step;

    fn delete(role: &str, after: Vec<usize>) -> Step {
        Step {
            action: Action::DeleteRole(crate::plan::DeleteRole { role: role.into() }),
            after,
        }
    }

    fn role(action: &Action) -> &str {
        let Action::DeleteRole(step) = action else {
            panic!("these tests delete roles only: {action:?}");
        };
        &step.role
    }

    /// Steps a, b (independent, slow) and c after both: a and b overlap, c starts last.
    #[tokio::test(start_paused = true)]
    async fn independent_steps_overlap_and_edges_are_respected() {
        let plan = Plan {
            steps: vec![
                delete("a", vec![]),
                delete("b", vec![]),
                delete("c", vec![0, 1]),
            ],
            ..Plan::default()
        };
        let log = Mutex::new(Vec::new());
        let start = tokio::time::Instant::now();
        let order = execute(&plan, 8, |action| {
            let log = &log;
            async move {
                log.lock().unwrap().push(format!("start {}", role(action)));
                tokio::time::sleep(Duration::from_secs(1)).await;
                log.lock().unwrap().push(format!("end {}", role(action)));
                Ok(())
            }
        })
        .await
        .unwrap();
        assert_eq!(order.last(), Some(&2));
        let log = log.into_inner().unwrap();
        assert_eq!(&log[..2], ["start a", "start b"]);
        assert_eq!(log[4], "start c");
        // Two levels of one virtual second each: a and b ran together.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_one_runs_sequentially() {
        let plan = Plan {
            steps: vec![delete("a", vec![]), delete("b", vec![])],
            ..Plan::default()
        };
        let start = tokio::time::Instant::now();
        execute(&plan, 1, |_| async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_failure_stops_dependents_and_reports_progress() {
        let plan = Plan {
            steps: vec![
                delete("a", vec![]),
                delete("b", vec![]),
                delete("c", vec![0, 1]),
            ],
            ..Plan::default()
        };
        let ran = Mutex::new(Vec::new());
        let err = execute(&plan, 8, |action| {
            let ran = &ran;
            async move {
                ran.lock().unwrap().push(role(action).to_owned());
                if role(action) == "b" {
                    return Err(Error::aws(
                        "deleting role b",
                        Some("DeleteConflict"),
                        "attached".into(),
                    ));
                }
                Ok(())
            }
        })
        .await
        .unwrap_err();
        assert_eq!(ran.into_inner().unwrap(), ["a", "b"]);
        assert_eq!(err.aws_code(), Some("DeleteConflict"));
        assert!(
            err.to_string()
                .contains("1 of 3 steps had completed (deleted role a)"),
            "{err}"
        );
    }
}
