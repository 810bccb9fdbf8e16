//! Integration tests: the built `onboard` binary against a real AWS API emulator (moto), started
//! per test on a free loopback port, with a counting proxy in between so write calls are counted
//! for real.

mod harness;

mod accounts;
mod audit;
mod catalog;
mod drift;
mod export;
mod faults;
mod handover;
mod input;
mod interrupts;
mod keys;
mod lifecycle;
mod lint;
mod ownership;
mod pipes;
mod propagation;
mod shapes;
mod terminal;
mod vendors;
mod verify;
