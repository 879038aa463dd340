/**
 * Worker Versioning behaviour of each workflow type (docs/versioning.md). Episodes, their subtask
 * children and ReAct episodes run for minutes to hours and stay PINNED to the build (deployment
 * version) that started them: a new build takes new episodes, running ones finish on their own
 * build's workers, so their code changes without `patched()` guards. The eval runs for days and
 * moves to the current build at its next workflow task (AUTO_UPGRADE): changes to its commands keep
 * `patched()` guards (src/workflows/patches.ts) with replay fixtures of both branches.
 *
 * The behaviour is declared only to a worker that polls as a deployment version (its
 * `currentDeploymentVersion` names a deployment): an unversioned worker fails every workflow task
 * that declares one, and step-hrl's unversioned workers (Worker Versioning `off`, src/versioning.ts)
 * label their completions with a build id alone.
 */
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { VersioningBehavior, WorkflowDefinitionOptions } from '@temporalio/common';
import { episodeWorkflow } from './episode';
import { subtaskWorkflow } from './subtask';
import { reactWorkflow } from './react';
import { evalWorkflow } from './eval';
import { trainingWorkflow } from './training';

/** The behaviour each workflow type declares to a versioned worker. */
export const VERSIONING_BEHAVIOURS = {
  episodeWorkflow: 'PINNED',
  subtaskWorkflow: 'PINNED',
  reactWorkflow: 'PINNED',
  evalWorkflow: 'AUTO_UPGRADE',
  // Days long, its state in the run dir's checkpoints: it moves to new builds like the eval.
  trainingWorkflow: 'AUTO_UPGRADE',
} as const satisfies Record<string, VersioningBehavior>;

function declared(behaviour: VersioningBehavior): () => WorkflowDefinitionOptions {
  return () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behaviour } : {});
}

setWorkflowOptions(declared(VERSIONING_BEHAVIOURS.episodeWorkflow), episodeWorkflow);
setWorkflowOptions(declared(VERSIONING_BEHAVIOURS.subtaskWorkflow), subtaskWorkflow);
setWorkflowOptions(declared(VERSIONING_BEHAVIOURS.reactWorkflow), reactWorkflow);
setWorkflowOptions(declared(VERSIONING_BEHAVIOURS.evalWorkflow), evalWorkflow);
setWorkflowOptions(declared(VERSIONING_BEHAVIOURS.trainingWorkflow), trainingWorkflow);
