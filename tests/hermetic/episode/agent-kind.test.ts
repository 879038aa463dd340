import {
  EPISODE_AGENTS,
  episodeAgentOfKind,
  episodeAgentOfResult,
  episodeAgentOfWorkflowType,
  REACT_AGENT,
  STEP_HRL_AGENT,
} from '../../../src/episode/agent-kind';
import type { EpisodeResult, ReactResult } from '../../../src/episode/records';
import { agentByKind, agentOfWorkflowType } from '../../../src/cli/agents';
import { episodeWorkflow, reactWorkflow } from '../../../src/workflows';

const stepHrlResult = {
  episodeId: 'ep-1',
  steps: 7,
  tokensByLevel: { high: { calls: 1, prompt: 10, completion: 2 } },
  redrives: 2,
} as unknown as EpisodeResult;
const reactResult = {
  episodeId: 'ep-2',
  steps: [{}, {}, {}],
  stepCount: 1203,
  tokensByLevel: { react: { calls: 3, prompt: 30, completion: 6 } },
  redrives: 1,
} as unknown as ReactResult;

describe('the agent kind interface of the episode core', () => {
  it('names the workflow functions the bundle exports', () => {
    expect(STEP_HRL_AGENT.workflowType).toBe(episodeWorkflow.name);
    expect(REACT_AGENT.workflowType).toBe(reactWorkflow.name);
  });

  it('reads a result of each kind through the same interface', () => {
    const stepHrl = episodeAgentOfResult(stepHrlResult);
    const react = episodeAgentOfResult(reactResult);
    expect([stepHrl.kind, react.kind]).toEqual(['step-hrl', 'react']);
    expect(stepHrl.stepCount(stepHrlResult)).toBe(7);
    // The count, not the steps the last run holds: a ReAct episode that continued as new keeps only its tail.
    expect(react.stepCount(reactResult)).toBe(1203);
    expect(react.stepCount({ ...reactResult, stepCount: undefined } as unknown as ReactResult)).toBe(3);
    expect(stepHrl.levelTokens(stepHrlResult)).toHaveProperty('high');
    expect(react.levelTokens(reactResult)).toHaveProperty('react');
    expect([stepHrl.redrives(stepHrlResult), react.redrives(reactResult)]).toEqual([2, 1]);
  });

  it('finds kinds by name and by workflow type, and refuses unknown ones', () => {
    expect(episodeAgentOfKind('react')).toBe(REACT_AGENT);
    expect(episodeAgentOfWorkflowType('reactWorkflow')).toBe(REACT_AGENT);
    expect(episodeAgentOfWorkflowType('evalWorkflow')).toBeUndefined();
    expect(() => episodeAgentOfKind('reflexion' as never)).toThrow(/unknown agent kind "reflexion".*step-hrl, react/);
    expect(EPISODE_AGENTS.map((agent) => agent.kind)).toEqual(['step-hrl', 'react']);
  });

  it('is what the CLI runs and shows, for both kinds', () => {
    for (const core of EPISODE_AGENTS) {
      const cli = agentByKind(core.kind);
      expect(cli.workflowType).toBe(core.workflowType);
      expect(agentOfWorkflowType(core.workflowType)).toBe(cli);
      expect(cli.resumable).toBe(core.resumable);
    }
  });
});
