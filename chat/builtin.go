package chat

import (
	"fmt"
	"slices"
)

// builtins are chat templates for models whose file has none, written for
// this package in the formats the model families were trained on.
var builtins = map[string]string{
	// Llama 2 chat: <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s><s>[INST] ...
	"llama2": `
{%- if messages[0]['role'] == 'system' -%}
  {%- set system = messages[0]['content'] -%}
  {%- set turns = messages[1:] -%}
{%- else -%}
  {%- set system = '' -%}
  {%- set turns = messages -%}
{%- endif -%}
{%- for message in turns -%}
  {%- if message['role'] == 'assistant' -%}
    {{- ' ' + (message['content'] | trim) + ' ' + eos_token -}}
  {%- else -%}
    {%- set content = message['content'] -%}
    {%- if loop.first and system -%}
      {%- set content = '<<SYS>>\n' + system + '\n<</SYS>>\n\n' + content -%}
    {%- endif -%}
    {{- bos_token + '[INST] ' + (content | trim) + ' [/INST]' -}}
  {%- endif -%}
{%- endfor -%}`,

	// Llama 3: <|start_header_id|>role<|end_header_id|>\n\ntext<|eot_id|>
	"llama3": `
{{- bos_token -}}
{%- for message in messages -%}
  {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + (message['content'] | trim) + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
{%- endif -%}`,

	// ChatML: <|im_start|>role\ntext<|im_end|>\n
	"chatml": `
{%- for message in messages -%}
  {{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|im_start|>assistant\n' -}}
{%- endif -%}`,

	// Mistral instruct: <s>[INST] system\n\nuser [/INST]answer</s>[INST] ...
	"mistral": `
{%- if messages[0]['role'] == 'system' -%}
  {%- set system = messages[0]['content'] -%}
  {%- set turns = messages[1:] -%}
{%- else -%}
  {%- set system = '' -%}
  {%- set turns = messages -%}
{%- endif -%}
{{- bos_token -}}
{%- for message in turns -%}
  {%- if message['role'] == 'assistant' -%}
    {{- message['content'] + eos_token -}}
  {%- elif loop.first and system -%}
    {{- '[INST] ' + system + '\n\n' + message['content'] + ' [/INST]' -}}
  {%- else -%}
    {{- '[INST] ' + message['content'] + ' [/INST]' -}}
  {%- endif -%}
{%- endfor -%}`,

	// Phi-3: <|role|>\ntext<|end|>\n
	"phi3": `
{%- for message in messages -%}
  {{- '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<|assistant|>\n' -}}
{%- endif -%}`,

	// Gemma: <start_of_turn>user\ntext<end_of_turn>\n, the assistant being
	// "model". Gemma has no system role: like Google's template this one
	// refuses system messages, so that Render merges them into the first
	// user message.
	"gemma": `
{{- bos_token -}}
{%- for message in messages -%}
  {%- if message['role'] == 'system' -%}
    {{- raise_exception('System role not supported') -}}
  {%- endif -%}
  {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
  {{- '<start_of_turn>' + role + '\n' + (message['content'] | trim) + '<end_of_turn>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
  {{- '<start_of_turn>model\n' -}}
{%- endif -%}`,
}

// BuiltinNames returns the names of the built-in templates, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins))
	for name := range builtins {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Builtin returns the built-in template of that name: one of BuiltinNames.
func Builtin(name string, o Options) (*Template, error) {
	source, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse(name, source, o)
}

// BuiltinSource returns the Jinja source of a built-in template, to store in
// a model file as its tokenizer.chat_template.
func BuiltinSource(name string) (string, error) {
	source, ok := builtins[name]
	if !ok {
		return "", fmt.Errorf("chat: no built-in template %q (have %v)", name, BuiltinNames())
	}
	return source, nil
}
